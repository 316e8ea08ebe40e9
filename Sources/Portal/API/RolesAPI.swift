import Foundation
import HTTPTypes
import Tenancy
import WebServer

/// `/api/v1/roles`: built-in and custom roles; custom roles on the enterprise plan.
enum RolesAPI {
    /// Registers the routes, each with its access rule and documentation.
    static func add(to routes: inout PortalRoutes, environment: PortalEnvironment) {
        let roles = environment.tenancy.roles

        routes.get(
            "/api/v1/roles", access: .permission(.membersRead),
            documentation: APIDocumentation(summary: "Every role a member can hold: built-in first, then custom", responseSchema: ItemsJSON<RoleJSON>.schema(RoleJSON.schema))
        ) { request in
            try APIResponse.json(ItemsJSON(items: try await roles.list(try request.requireContext()).map(RoleJSON.init)))
        }

        routes.add(
            .post, "/api/v1/roles", access: .permission(.rolesManage),
            documentation: APIDocumentation(
                summary: "Defines a custom role (enterprise plan); it cannot grant permissions the caller lacks",
                requestSchema: CreateRoleRequest.schema, responseSchema: RoleJSON.schema, successStatus: 201
            ),
            maxBodySize: APIBody.maximumSize
        ) { request in
            let context = try request.requireContext()
            let body: CreateRoleRequest = try await request.decodeJSON()
            let role = try await roles.create(context, name: body.name, permissions: body.permissions)
            return try APIResponse.json(RoleJSON(role), status: .created)
        }

        routes.add(
            .delete, "/api/v1/roles/:key", access: .permission(.rolesManage),
            documentation: APIDocumentation(summary: "Deletes a custom role that no member holds", successStatus: 204)
        ) { request in
            let context = try request.requireContext()
            let key = request.parameters["key"] ?? ""
            try await roles.delete(context, key: String(key.prefix(100)))
            return APIResponse.noContent
        }
    }
}

/// `POST /api/v1/roles`.
struct CreateRoleRequest: Decodable {
    var name: String
    var permissions: [String]

    static let schema = Schema.object(["name": Schema.string(), "permissions": Schema.permissions])
}
