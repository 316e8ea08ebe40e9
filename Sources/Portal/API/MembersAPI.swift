import Foundation
import HTTPTypes
import Tenancy
import WebServer

/// `/api/v1/members`: list, change role, remove, require MFA.
enum MembersAPI {
    /// The 404 message for unknown ids and ids that are not UUIDs.
    static let notFound = "No such member"

    /// Registers the routes, each with its access rule and documentation.
    static func add(to routes: inout PortalRoutes, environment: PortalEnvironment) {
        let members = environment.tenancy.members

        routes.get(
            "/api/v1/members", access: .permission(.membersRead),
            documentation: APIDocumentation(summary: "Every member of the organisation, by name", responseSchema: ItemsJSON<MemberJSON>.schema(MemberJSON.schema))
        ) { request in
            try APIResponse.json(ItemsJSON(items: try await members.list(try request.requireContext()).map(MemberJSON.init)))
        }

        routes.add(
            .patch, "/api/v1/members/:id", access: .permission(.membersManage),
            documentation: APIDocumentation(
                summary: "Gives a member another role; their sessions end", requestSchema: ChangeRoleRequest.schema, responseSchema: MemberJSON.schema
            ),
            maxBodySize: APIBody.maximumSize
        ) { request in
            let context = try request.requireContext()
            let id = try request.pathID(notFound: notFound)
            let body: ChangeRoleRequest = try await request.decodeJSON()
            try await members.changeRole(context, member: id, to: body.role)
            guard let member = try await members.list(context).first(where: { $0.id == id }) else { throw TenancyError.notFound(notFound) }
            return try APIResponse.json(MemberJSON(member))
        }

        routes.add(
            .delete, "/api/v1/members/:id", access: .permission(.membersManage),
            documentation: APIDocumentation(summary: "Removes a member with their sessions and API keys", successStatus: 204)
        ) { request in
            let context = try request.requireContext()
            try await members.remove(context, member: try request.pathID(notFound: notFound))
            return APIResponse.noContent
        }

        routes.add(
            .post, "/api/v1/members/:id/mfa-requirement", access: .permission(.membersManage),
            documentation: APIDocumentation(
                summary: "Requires (or stops requiring) a member to enrol MFA", requestSchema: MFARequirementRequest.schema, successStatus: 204
            ),
            maxBodySize: APIBody.maximumSize
        ) { request in
            let context = try request.requireContext()
            let id = try request.pathID(notFound: notFound)
            let body: MFARequirementRequest = try await request.decodeJSON()
            try await members.setMFARequired(context, member: id, isRequired: body.isRequired)
            return APIResponse.noContent
        }
    }
}

/// `PATCH /api/v1/members/:id`.
struct ChangeRoleRequest: Decodable {
    var role: String

    static let schema = Schema.object(["role": Schema.string("A role key from GET /api/v1/roles")])
}

/// `POST /api/v1/members/:id/mfa-requirement`.
struct MFARequirementRequest: Decodable {
    var isRequired: Bool

    enum CodingKeys: String, CodingKey { case isRequired = "required" }

    static let schema = Schema.object(["required": Schema.boolean])
}

/// `/api/v1/invitations`: list, invite, withdraw.
enum InvitationsAPI {
    /// The 404 message for unknown ids and ids that are not UUIDs.
    static let notFound = "No open invitation with that id"

    /// Registers the routes, each with its access rule and documentation.
    static func add(to routes: inout PortalRoutes, environment: PortalEnvironment) {
        let members = environment.tenancy.members

        routes.get(
            "/api/v1/invitations", access: .permission(.membersRead),
            documentation: APIDocumentation(summary: "Open invitations, newest first", responseSchema: ItemsJSON<InvitationJSON>.schema(InvitationJSON.schema))
        ) { request in
            try APIResponse.json(ItemsJSON(items: try await members.pendingInvitations(try request.requireContext()).map { InvitationJSON($0) }))
        }

        routes.add(
            .post, "/api/v1/invitations", access: .permission(.membersManage),
            documentation: APIDocumentation(
                summary: "Invites an e-mail address with a role; the accept link is returned only here", requestSchema: InviteRequest.schema,
                responseSchema: InvitationJSON.schema, successStatus: 201
            ),
            maxBodySize: APIBody.maximumSize
        ) { request in
            let context = try request.requireContext()
            let body: InviteRequest = try await request.decodeJSON()
            let baseURL = request.baseURL
            let created = try await members.invite(context, email: body.email, roleKey: body.role, baseURL: baseURL)
            return try APIResponse.json(InvitationJSON(created.invitation, acceptLink: "\(baseURL)/invitations/\(created.token)"), status: .created)
        }

        routes.add(
            .delete, "/api/v1/invitations/:id", access: .permission(.membersManage),
            documentation: APIDocumentation(summary: "Withdraws an open invitation", successStatus: 204)
        ) { request in
            let context = try request.requireContext()
            try await members.revokeInvitation(context, id: try request.pathID(notFound: notFound))
            return APIResponse.noContent
        }
    }
}

/// `POST /api/v1/invitations`.
struct InviteRequest: Decodable {
    var email: String
    var role: String

    static let schema = Schema.object(["email": Schema.string(format: "email"), "role": Schema.string("A role key from GET /api/v1/roles")])
}
