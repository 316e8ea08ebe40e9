import Foundation
import HTTPTypes
import Platform
import Tenancy
import WebServer

/// The "Edit catalog details" form of a feature group's page: description, owner, tags, source and time to live
/// (`FeatureGroups.updateCatalog`, audited). A refused form is shown again, open, with its messages.
extension FeaturePages {
    /// Adds `POST …/feature-groups/:group/catalog` (`data.write`).
    static func addCatalogEdit(to routes: inout PortalRoutes, pages: Pages) {
        routes.post("/app/projects/:project/feature-groups/:group/catalog", access: .permission(.dataWrite)) { request in
            let (slug, name) = (try request.segment("project"), try request.segment("group"))
            let form = request.form
            let values = ["description": form["description"], "owner": form["owner"], "tags": form["tags"], "source": form["source"], "ttl": form["ttl"]]
            do {
                let ttlText = form["ttl"].trimmingCharacters(in: .whitespaces)
                guard ttlText.isEmpty || Int64(ttlText) != nil else { throw PlatformError.invalid(field: "ttl_seconds", "Give the time to live as whole seconds, or leave it empty") }
                let tags = form["tags"].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                let change = FeatureGroupCatalogChange(
                    description: form["description"], owner: form["owner"], source: form["source"], tags: tags, ttlSeconds: .some(Int64(ttlText))
                )
                _ = try await pages.environment.requirePlatform().featureGroups.updateCatalog(name, project: slug, changes: change, context: try request.requireContext())
                return Pages.redirect(groupPath(slug, name) + "?done=catalog")
            } catch let error as PlatformError where error.status != .notFound {
                return try await groupPage(request, pages: pages, ["catalogForm": Pages.merge(failure(error), ["values": values, "isOpen": true])], status: error.status)
            }
        }
    }

    /// The edit form's model: the refused form from `extra`, or the group's current values.
    static func catalogForm(_ group: FeatureGroup, extra: [String: Any]) -> [String: Any] {
        if let refused = extra["catalogForm"] as? [String: Any] { return refused }
        let values = [
            "description": group.description, "owner": group.owner, "tags": group.tags.joined(separator: ", "), "source": group.source,
            "ttl": group.ttlSeconds.map(String.init) ?? "",
        ]
        return ["values": values, "isOpen": false]
    }
}
