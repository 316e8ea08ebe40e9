import Foundation
import HTTPTypes
import Tenancy
import WebServer

/// `/api/v1/api-keys`: list, create (secret shown once), revoke.
enum APIKeysAPI {
    /// The 404 message for unknown ids and ids that are not UUIDs.
    static let notFound = "No API key with that id"

    /// Registers the routes, each with its access rule and documentation.
    static func add(to routes: inout PortalRoutes, environment: PortalEnvironment) {
        let keys = environment.tenancy.apiKeys

        routes.get(
            "/api/v1/api-keys", access: .permission(.keysManage),
            documentation: APIDocumentation(
                summary: "The caller's API keys; with members.manage, every key of the organisation",
                responseSchema: ItemsJSON<APIKeyJSON>.schema(APIKeyJSON.schema)
            )
        ) { request in
            try APIResponse.json(ItemsJSON(items: try await keys.list(try request.requireContext()).map(APIKeyJSON.init)))
        }

        routes.add(
            .post, "/api/v1/api-keys", access: .permission(.keysManage),
            documentation: APIDocumentation(
                summary: "Creates an API key with a subset of the caller's permissions; the secret is returned once",
                requestSchema: CreateAPIKeyRequest.schema, responseSchema: CreatedAPIKeyJSON.schema, successStatus: 201, isMemberSessionOnly: true
            ),
            maxBodySize: APIBody.maximumSize
        ) { request in
            let context = try request.requireContext()
            let body: CreateAPIKeyRequest = try await request.decodeJSON()
            let created = try await keys.create(context, name: body.name, permissions: body.permissions, expiresInDays: body.expiresInDays)
            return try APIResponse.json(CreatedAPIKeyJSON(apiKey: APIKeyJSON(summary: created.summary), secret: created.secret), status: .created)
        }

        routes.add(
            .delete, "/api/v1/api-keys/:id", access: .permission(.keysManage),
            documentation: APIDocumentation(summary: "Revokes an API key at once", successStatus: 204)
        ) { request in
            let context = try request.requireContext()
            try await keys.revoke(context, id: try request.pathID(notFound: notFound))
            return APIResponse.noContent
        }
    }
}

/// `POST /api/v1/api-keys`.
struct CreateAPIKeyRequest: Decodable {
    var name: String
    var permissions: [String]
    var expiresInDays: Int?

    enum CodingKeys: String, CodingKey {
        case name, permissions
        case expiresInDays = "expires_in_days"
    }

    static let schema = Schema.object(
        ["name": Schema.string(), "permissions": Schema.permissions, "expires_in_days": ["type": ["integer", "null"], "minimum": 1, "maximum": 730]],
        required: ["name", "permissions"]
    )
}

/// The response to `POST /api/v1/api-keys`.
struct CreatedAPIKeyJSON: Encodable {
    var apiKey: APIKeyJSON
    var secret: String

    enum CodingKeys: String, CodingKey {
        case secret
        case apiKey = "api_key"
    }

    static let schema = Schema.object(["api_key": APIKeyJSON.schema, "secret": Schema.string("falaj_<prefix>_<secret>; shown only once")])
}
