import Foundation
import HTTPTypes
import Platform
import Tenancy
import WebServer

/// A project's access page (`/app/projects/:project/access`): whether the whole organisation sees the project or only
/// the members ticked on its list. Member managers only (`members.manage`), since it decides who sees data.
enum ProjectAccessPages {
    /// Adds the routes.
    static func add(to routes: inout PortalRoutes, pages: Pages) {
        routes.get("/app/projects/:project/access", access: .permission(.membersManage)) { request in
            try await accessPage(request, pages: pages, saved: request.query("done") == "saved")
        }

        routes.post("/app/projects/:project/access", access: .permission(.membersManage)) { request in
            let slug = try request.segment("project")
            let form = request.form
            let members = form.all("member").compactMap { UUID(uuidString: $0) }
            do {
                _ = try await pages.environment.requirePlatform().projects.setAccess(
                    slug, restricted: form["restricted"] == "1", members: members, context: try request.requireContext()
                )
                return Pages.redirect("/app/projects/\(slug)/access?done=saved")
            } catch let error as PlatformError where error.status != .notFound {
                return try await accessPage(request, pages: pages, saved: false, formError: error.description, status: error.status)
            }
        }
    }

    private static func accessPage(
        _ request: Request, pages: Pages, saved: Bool, formError: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let context = try request.requireContext()
        let platform = try pages.environment.requirePlatform()
        let slug = try request.segment("project")
        let project = try await platform.projects.get(slug, context: context)
        let access = try await platform.projects.access(slug, context: context)
        let listed = Set(access.members)
        let members = try await pages.tenancy.members.list(context).map { member -> [String: Any] in
            [
                "id": member.id.uuidString.lowercased(), "name": member.displayName, "email": member.email, "role": member.role.displayName,
                "listed": listed.contains(member.id), "seesAll": member.role.permissions.contains(.membersManage),
            ]
        }
        let model: [String: Any] = [
            "project": ["slug": project.slug, "name": project.name], "restricted": access.isRestricted, "members": members,
            "saved": saved, "formError": formError ?? false,
        ]
        return await pages.render("project-access", request, title: "Access to \(project.name)", model, status: status)
    }
}
