import Foundation
import HTTPTypes
import Platform
import Tenancy
import WebServer

/// The batch side of a feature group's page: its statistics per version, its lineage, and three forms (recompute
/// statistics, materialise, ingest a dataset) that redirect back with a notice (`?done=` and the counts) or show the
/// refusal on the page.
extension FeaturePages {
    /// Adds the group's POST routes; each needs `data.write`.
    static func addGroupActions(to routes: inout PortalRoutes, pages: Pages) {
        let group = "/app/projects/:project/feature-groups/:group"

        routes.post(group + "/statistics", access: .permission(.dataWrite)) { request in
            let (slug, name) = (try request.segment("project"), try request.segment("group"))
            let refreshed = try await pages.environment.requirePlatform().featureStore.refreshStatistics(
                group: name, project: slug, all: true, context: try request.requireContext()
            )
            return Pages.redirect(groupPath(slug, name) + "?done=statistics&versions=\(refreshed.count)#statistics")
        }

        routes.post(group + "/materialize", access: .permission(.dataWrite)) { request in
            let (slug, name) = (try request.segment("project"), try request.segment("group"))
            let receipt = try await pages.environment.requirePlatform().featureStore.materialize(
                group: name, project: slug, full: request.form["full"] == "1", context: try request.requireContext()
            )
            let counts = "rows=\(receipt.rowsRead)&updates=\(receipt.onlineUpdates)" + (receipt.isFull ? "&full=1" : "")
            return Pages.redirect(groupPath(slug, name) + "?done=materialized&\(counts)#lineage")
        }

        routes.post(group + "/ingest", access: .permission(.dataWrite)) { request in
            let (slug, name) = (try request.segment("project"), try request.segment("group"))
            let input = FeatureIngestFormInput(request.form)
            do {
                guard input.problems.isEmpty else { throw PlatformError.invalidFields(input.problems) }
                let receipt = try await pages.environment.requirePlatform().featureStore.ingest(
                    dataset: input.dataset, version: input.version, into: name, project: slug, materialize: input.isMaterializing,
                    context: try request.requireContext()
                )
                var query = "done=ingested&dataset=\(FeatureView.queryEncoded(receipt.dataset))&version=\(receipt.datasetVersion)&rows=\(receipt.rowCount)&skipped=\(receipt.skippedCount)"
                if let materialization = receipt.materialization { query += "&updates=\(materialization.onlineUpdates)" }
                return Pages.redirect(groupPath(slug, name) + "?\(query)#lineage")
            } catch let error as PlatformError {
                let form = Pages.merge(failure(error), ["values": input.values, "isMaterializing": input.isMaterializing])
                return try await groupPage(request, pages: pages, ["ingestForm": form], status: error.status)
            }
        }
    }

    /// The page of group `name` in project `slug`.
    static func groupPath(_ slug: String, _ name: String) -> String { "/app/projects/\(slug)/feature-groups/\(name)" }

    /// The group page's statistics, lineage and, for a member who may write, the ingest form (`ingestForm` in
    /// `extra` holds a refused form's values and errors) and the notice of what a form just did.
    static func groupLifecycle(
        _ request: Request, group: FeatureGroup, project slug: String, platform: PlatformServices, context: RequestContext, extra: [String: Any]
    ) async throws -> [String: Any] {
        let statistics = try await platform.featureStore.statistics(group: group.name, project: slug, context: context)
        let lineage = try await platform.featureGroups.lineage(group.name, project: slug, context: context)
        var model: [String: Any] = [
            "statistics": statistics.enumerated().map { FeatureLifecycleView.statistics($1, isOpen: $0 == 0) }, "hasStatistics": !statistics.isEmpty,
            "lineage": FeatureLifecycleView.lineage(lineage, project: slug), "canWrite": context.allows(.dataWrite),
            "datasetsPath": "/app/projects/\(slug)",
        ]
        if let notice = groupNotice(request) { model[notice.section + "Notice"] = notice.text }
        if context.allows(.dataWrite) {
            let datasets = try await platform.datasets.list(project: slug, context: context)
            let refused = extra["ingestForm"] as? [String: Any] ?? [:]
            let values = refused["values"] as? [String: String] ?? FeatureIngestFormInput.defaults
            let base: [String: Any] = [
                "values": values, "errors": [String: String](), "isMaterializing": values["materialize"] == "1",
                "datasetOptions": FeatureLifecycleView.datasetOptions(datasets, selected: values["dataset"] ?? ""), "hasDatasets": !datasets.isEmpty,
            ]
            model["ingestForm"] = Pages.merge(base, refused)
        }
        return model
    }

    /// What the form that redirected here did, from its `?done=` and counts (numbers only; a dataset name only when
    /// it looks like one), and the section that shows it (`statistics` or `lineage`, where the redirect scrolls); or nil.
    static func groupNotice(_ request: Request) -> (section: String, text: String)? {
        func count(_ name: String) -> Int? { request.query(name).flatMap { Int($0) }.flatMap { $0 >= 0 ? $0 : nil } }
        func rows(_ number: Int, _ noun: String) -> String { "\(ProjectView.grouped(Int64(number))) \(noun)\(number == 1 ? "" : "s")" }
        switch request.query("done") {
        case "statistics":
            let versions = count("versions") ?? 0
            return ("statistics", versions == 0 ? "The group has no versions to describe." : "Statistics recomputed for \(rows(versions, "version")).")
        case "materialized":
            let kind = request.query("full") == "1" ? "Full materialisation" : "Materialisation"
            return ("lineage", "\(kind) done: \(rows(count("rows") ?? 0, "offline row")) read, \(rows(count("updates") ?? 0, "online value")) updated.")
        case "ingested":
            let dataset = request.query("dataset").flatMap { name in
                name.count <= 60 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") } ? name : nil
            }
            let source = dataset.map { name in count("version").map { "\(name) v\($0)" } ?? name } ?? "the dataset"
            var text = "Ingested \(source): \(rows(count("rows") ?? 0, "row")) written"
            if let skipped = count("skipped"), skipped > 0 { text += ", \(rows(skipped, "row")) left out (no key or event time)" }
            text += "; statistics recomputed"
            if let updates = count("updates") {
                text += "; \(rows(updates, "online value")) updated."
            } else {
                text += "; the online store was not loaded (materialise when ready)."
            }
            return ("lineage", text)
        default:
            return nil
        }
    }
}
