import Foundation
import HTTPTypes
import Platform
import Tabular
import Tenancy
import WebServer

/// The feature store pages: a project's catalog (entities with the "new entity" form, feature groups with the search
/// and the "new feature group" form, feature services and the "build a training set" form) and a group's page
/// (catalog metadata, versions, freshness, the push endpoint, a sample online lookup by entity key, statistics per
/// version and lineage with the ingest and materialise forms).
enum FeaturePages {
    /// Adds the routes.
    static func add(to routes: inout PortalRoutes, pages: Pages) {
        routes.get("/app/projects/:project/features", access: .permission(.dataRead)) { request in
            try await catalogPage(request, pages: pages)
        }

        routes.post("/app/projects/:project/entities", access: .permission(.dataWrite)) { request in
            let form = request.form
            let project = try request.segment("project")
            let values = ["name": form["name"], "join_key": form["join_key"], "key_type": form["key_type"], "description": form["description"]]
            do {
                guard let keyType = EntityKeyType(rawValue: form["key_type"]) else { throw PlatformError.invalid(field: "key_type", "Choose string or int") }
                let entity = EntityForm(
                    name: form["name"].trimmingCharacters(in: .whitespaces), joinKey: form["join_key"].trimmingCharacters(in: .whitespaces),
                    keyType: keyType, description: form["description"].trimmingCharacters(in: .whitespacesAndNewlines)
                )
                _ = try await pages.environment.requirePlatform().entities.create(entity, project: project, context: try request.requireContext())
                return Pages.redirect("/app/projects/\(project)/features")
            } catch let error as PlatformError where error.status != .notFound {
                return try await catalogPage(request, pages: pages, entityForm: Pages.merge(failure(error), ["values": values]), status: error.status)
            }
        }

        routes.post("/app/projects/:project/feature-groups", access: .permission(.dataWrite)) { request in
            let input = FeatureGroupFormInput(request.form)
            let project = try request.segment("project")
            do {
                guard input.problems.isEmpty else { throw PlatformError.invalidFields(input.problems) }
                let group = try await pages.environment.requirePlatform().featureGroups.create(input.form, project: project, context: try request.requireContext())
                return Pages.redirect("/app/projects/\(project)/feature-groups/\(group.name)")
            } catch let error as PlatformError where error.status != .notFound {
                return try await catalogPage(request, pages: pages, groupForm: input.failure(error), status: error.status)
            }
        }

        routes.get("/app/projects/:project/feature-groups/:group", access: .permission(.dataRead)) { request in
            try await groupPage(request, pages: pages)
        }

        addGroupActions(to: &routes, pages: pages)
        addCatalogActions(to: &routes, pages: pages)
        addCatalogEdit(to: &routes, pages: pages)
    }

    /// A view model's error members for a failed form.
    static func failure(_ error: PlatformError) -> [String: Any] {
        if case .invalidFields(let fields) = error { return ["errors": fields, "formError": "Please correct the highlighted fields."] }
        return ["errors": [String: String](), "formError": error.description]
    }

    /// The catalog page; `entityForm` and `groupForm` hold a refused form's values and errors, `extra` those of the
    /// feature service and training set forms (`serviceForm`, `trainingForm`).
    static func catalogPage(
        _ request: Request, pages: Pages, entityForm: [String: Any] = [:], groupForm: [String: Any] = [:], extra: [String: Any] = [:],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let context = try request.requireContext()
        let platform = try pages.environment.requirePlatform()
        let slug = try request.segment("project")
        let project = try await platform.projects.get(slug, context: context)
        let entities = try await platform.entities.list(project: slug, context: context)
        let search = Dictionary(uniqueKeysWithValues: ["q", "tag", "owner", "pii"].map { ($0, request.query($0) ?? "") })
        var model: [String: Any] = [
            "project": ProjectView.project(project), "entities": entities.map(FeatureView.entity), "hasEntities": !entities.isEmpty,
            "canCreate": context.allows(.dataWrite), "search": search, "isFiltered": search.values.contains { !$0.isEmpty },
            "piiOptions": ([("", "Any")] + PIIClassification.allCases.map { ($0.rawValue, $0.rawValue) }).map { value, label in
                ["value": value, "label": label, "isSelected": value == search["pii"]] as [String: Any]
            },
            "keyTypes": EntityKeyType.allCases.map { ["value": $0.rawValue, "isSelected": $0.rawValue == ((entityForm["values"] as? [String: String])?["key_type"] ?? "string")] },
            "entityForm": Pages.merge(["values": [String: String](), "errors": [String: String]()], entityForm),
        ]
        let groupValues = groupForm["values"] as? [String: String] ?? FeatureGroupFormInput.defaults
        model["groupForm"] = Pages.merge(["values": groupValues, "errors": [String: String]()], groupForm)
        model["entityOptions"] = entities.map { ["name": $0.name, "isSelected": $0.name == groupValues["entity"]] as [String: Any] }
        model.merge(try await catalogLifecycle(request, project: slug, platform: platform, context: context, extra: extra)) { $1 }
        do {
            let groups = try await platform.featureGroups.list(project: slug, search: try FeaturesAPI.search(request), context: context)
            var rows: [[String: Any]] = []
            for group in groups {
                let latest = try await freshness(of: group.name, project: slug, platform: platform, context: context)
                rows.append(FeatureView.catalogRow(group, project: slug, latestEventTime: latest))
            }
            model["groups"] = rows
            model["hasGroups"] = !rows.isEmpty
            let isFiltered = search.values.contains { !$0.isEmpty }
            let count = rows.count == 1 ? "1 feature group" : "\(rows.count) feature groups"
            model["groupCount"] = isFiltered ? count + (rows.count == 1 ? " matches" : " match") : count
        } catch let error as PlatformError where error.status != .notFound {
            model["searchError"] = error.description
            return await pages.render("features", request, title: "Features — \(project.name)", model, status: error.status)
        }
        return await pages.render("features", request, title: "Features — \(project.name)", model, status: status)
    }

    /// The newest event time of a group's online rows; nil before any write (or when the group just went away).
    private static func freshness(of group: String, project: String, platform: PlatformServices, context: RequestContext) async throws -> Date? {
        do {
            return try await platform.featureGroups.get(group, project: project, context: context).latestEventTime
        } catch let error as PlatformError where error.status == .notFound {
            return nil
        }
    }

    /// A group's page; with a `key` query value it also answers the sample lookup. `extra` holds a refused ingest
    /// form (`ingestForm`).
    static func groupPage(_ request: Request, pages: Pages, _ extra: [String: Any] = [:], status: HTTPResponse.Status = .ok) async throws -> Response {
        let context = try request.requireContext()
        let platform = try pages.environment.requirePlatform()
        let (slug, name) = (try request.segment("project"), try request.segment("group"))
        let project = try await platform.projects.get(slug, context: context)
        let detail = try await platform.featureGroups.get(name, project: slug, context: context)
        let group = detail.group
        let path = "/app/projects/\(slug)/feature-groups/\(group.name)"
        let pushPath = "/api/v1/feature-groups/\(group.id.uuidString.lowercased())/push"
        var model: [String: Any] = [
            "project": ProjectView.project(project), "group": FeatureView.group(detail), "path": path,
            "tags": FeatureView.tags(group.tags, project: slug), "versions": detail.versions.map { FeatureView.version($0, latest: group.latestVersion) },
            "pushPath": pushPath, "baseURL": Pages.baseURL(request), "samplePush": FeatureView.samplePush(group),
            "sampleRead": FeatureView.sampleRead(group, project: slug), "lookupKey": "",
        ]
        model.merge(try await groupLifecycle(request, group: group, project: slug, platform: platform, context: context, extra: extra)) { $1 }
        if context.allows(.dataWrite) { model["catalogForm"] = catalogForm(group, extra: extra) }
        if request.query("done") == "catalog" { model["catalogNotice"] = "Catalog details saved." }
        if let key = request.query("key") {
            let trimmed = key.trimmingCharacters(in: .whitespaces)
            model["lookupKey"] = trimmed
            if trimmed.isEmpty {
                model["lookupError"] = "Enter the \(group.entity.joinKey) of the \(group.entity.name) to look up"
            } else {
                do {
                    let onlineRequest = FeatureStore.OnlineRequest(project: slug, entityRows: [[group.entity.joinKey: .string(trimmed)]], features: ["\(group.name):*"])
                    let answer = try await platform.featureStore.readOnline(onlineRequest, context: context)
                    if let result = answer.results.first {
                        model["lookup"] = FeatureView.lookup(key: trimmed, features: answer.features, result: result, ttlSeconds: group.ttlSeconds)
                    }
                } catch let error as PlatformError where error.status != .notFound {
                    model["lookupError"] = error.description
                }
            }
        }
        return await pages.render("feature-group", request, title: "\(group.name) — \(project.name)", model, status: status)
    }
}
