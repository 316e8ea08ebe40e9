import Foundation
import HTTPTypes
import Residency
import Tenancy
import WebServer

/// The members page (list, invite, change role, remove, require MFA) and the invitation accept page.
enum MemberPages {
    /// What a finished member action says on the page it redirects to (`?done=`).
    private static let notices = [
        "role": "The role was changed.",
        "removed": "The member was removed.",
        "mfa": "The two-step verification requirement was updated.",
        "revoked": "The invitation was revoked.",
    ]

    /// Adds the routes.
    static func add(to routes: inout PortalRoutes, pages: Pages) {
        routes.get("/app/members", access: .permission(.membersRead)) { request in
            try await membersPage(request, pages: pages, ["notice": notices[request.query("done") ?? ""] ?? false])
        }

        routes.post("/app/members/invite", access: .permission(.membersManage)) { request in
            let context = try request.requireContext()
            let form = request.form
            do {
                let baseURL = Pages.baseURL(request)
                let created = try await pages.tenancy.members.invite(context, email: form["email"], roleKey: form["role"], baseURL: baseURL)
                let invited: [String: Any] = [
                    "email": created.invitation.email,
                    "url": "\(baseURL)/invitations/\(created.token)",
                    "days": Members.invitationLifetimeDays,
                ]
                return try await membersPage(request, pages: pages, ["invited": invited])
            } catch let error as TenancyError {
                let failure = Pages.failure(error)
                let values = ["email": form["email"], "role": form["role"]]
                return try await membersPage(request, pages: pages, Pages.merge(failure.context, ["values": values]), status: failure.status)
            }
        }

        memberAction(&routes, "/app/members/:id/role", done: "role", pages: pages) { context, id, form in
            try await pages.tenancy.members.changeRole(context, member: id, to: form["role"])
        }
        memberAction(&routes, "/app/members/:id/remove", done: "removed", pages: pages) { context, id, _ in
            try await pages.tenancy.members.remove(context, member: id)
        }
        memberAction(&routes, "/app/members/:id/mfa", done: "mfa", pages: pages) { context, id, form in
            try await pages.tenancy.members.setMFARequired(context, member: id, isRequired: form["required"] == "1")
        }
        memberAction(&routes, "/app/members/invitations/:id/revoke", done: "revoked", pages: pages) { context, id, _ in
            try await pages.tenancy.members.revokeInvitation(context, id: id)
        }

        routes.get("/invitations/:token", access: .anyone) { request in
            await invitationPage(request, pages: pages, [:])
        }

        routes.post("/invitations/:token", access: .anyone) { request in
            guard let token = TenantToken(request.parameters["token"] ?? "") else { return await invitationPage(request, pages: pages, [:]) }
            let form = request.form
            do {
                _ = try await pages.tenancy.members.accept(token, displayName: form["display_name"], password: form["password"])
                return Pages.redirect("/login?accepted=1")
            } catch let error as TenancyError {
                guard case .invalidFields = error else { return await invitationPage(request, pages: pages, [:], isKnownInvalid: true) }
                let failure = Pages.failure(error)
                return await invitationPage(
                    request,
                    pages: pages,
                    Pages.merge(failure.context, ["values": ["display_name": form["display_name"]]]),
                    status: failure.status
                )
            }
        }
    }

    /// A POST on one member or invitation (`:id`) that redirects back with a notice, or shows the domain's refusal
    /// (last owner, not allowed) on the members page.
    private static func memberAction(
        _ routes: inout PortalRoutes,
        _ pattern: String,
        done: String,
        pages: Pages,
        _ action: @escaping @Sendable (RequestContext, UUID, FormData) async throws -> Void
    ) {
        routes.post(pattern, access: .permission(.membersManage)) { request in
            let context = try request.requireContext()
            guard let id = UUID(uuidString: request.parameters["id"] ?? "") else { throw HTTPError(.notFound, "No such member") }
            do {
                try await action(context, id, request.form)
                return Pages.redirect("/app/members?done=\(done)")
            } catch let error as TenancyError {
                return try await membersPage(request, pages: pages, ["formError": error.description], status: error.status)
            }
        }
    }

    private static func membersPage(
        _ request: Request,
        pages: Pages,
        _ extra: [String: Any],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let context = try request.requireContext()
        async let members = pages.tenancy.members.list(context)
        async let invitations = pages.tenancy.members.pendingInvitations(context)
        async let roles = pages.tenancy.roles.list(context)
        let allRoles = try await roles
        let roleNames = Dictionary(allRoles.map { ($0.key, $0.displayName) }, uniquingKeysWith: { first, _ in first })
        let selectedInviteRole = (extra["values"] as? [String: String])?["role"] ?? BuiltInRole.viewer.rawValue
        let memberRows: [[String: Any]] = try await members.map { member in
            [
                "id": member.id.uuidString.lowercased(),
                "displayName": member.displayName,
                "email": member.email,
                "roleName": member.role.displayName,
                "hasMFA": member.hasMFA,
                "isMFARequired": member.isMFARequired,
                "isSelf": member.id == context.actor.userID,
                "roleOptions": allRoles.map { ["key": $0.key, "name": $0.displayName, "isSelected": $0.key == member.role.key] },
            ]
        }
        let invitationRows: [[String: Any]] = try await invitations.map {
            ["id": $0.id.uuidString.lowercased(), "email": $0.email, "role": roleNames[$0.roleKey] ?? $0.roleKey, "expires": Pages.format($0.expiresAt)]
        }
        let base: [String: Any] = [
            "tenantName": context.tenant.displayName,
            "canManage": context.allows(.membersManage),
            "members": memberRows,
            "invitations": invitationRows,
            "hasInvitations": !invitationRows.isEmpty,
            "inviteRoles": allRoles.map { ["key": $0.key, "name": $0.displayName, "isSelected": $0.key == selectedInviteRole] },
        ]
        return await pages.render("members", request, title: "Members", Pages.merge(base, extra), status: status)
    }

    /// The accept page: the preview and form, or (404) the "link is not valid" message.
    private static func invitationPage(
        _ request: Request,
        pages: Pages,
        _ extra: [String: Any],
        status: HTTPResponse.Status = .ok,
        isKnownInvalid: Bool = false
    ) async -> Response {
        let raw = request.parameters["token"] ?? ""
        guard !isKnownInvalid, let token = TenantToken(raw), let preview = try? await pages.tenancy.members.preview(token) else {
            return await pages.render("invitation", request, title: "Invitation", [:], status: .notFound)
        }
        let model: [String: Any] = [
            "organisation": preview.tenant.displayName,
            "email": preview.email,
            "role": preview.roleName,
            "token": token.description,
        ]
        return await pages.render("invitation", request, title: "Join \(preview.tenant.displayName)", Pages.merge(["preview": model], extra), status: status)
    }
}
