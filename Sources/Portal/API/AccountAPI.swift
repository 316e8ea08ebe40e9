import Foundation
import HTTPTypes
import Tenancy
import WebServer

/// `/api/v1/me`, `/api/v1/regions`, `/api/v1/signup` and `/api/v1/permissions`.
enum AccountAPI {
    /// Registers the routes, each with its access rule and documentation.
    static func add(to routes: inout PortalRoutes, environment: PortalEnvironment) {
        let tenancy = environment.tenancy

        routes.get(
            "/api/v1/me", access: .permission(.tenantRead),
            documentation: APIDocumentation(summary: "The caller: tenant, actor, role and effective permissions", responseSchema: MeJSON.schema)
        ) { request in
            try APIResponse.json(MeJSON(try request.requireContext()))
        }

        routes.get(
            "/api/v1/regions", access: .anyone,
            documentation: APIDocumentation(summary: "Regions a new organisation can choose as its home", responseSchema: ItemsJSON<RegionJSON>.schema(RegionJSON.schema))
        ) { _ in
            try APIResponse.json(ItemsJSON(items: try await environment.regions().map(RegionJSON.init)))
        }

        routes.add(
            .post, "/api/v1/signup", access: .anyone,
            documentation: APIDocumentation(
                summary: "Creates an organisation (free plan) and its owner; sign in to the portal to get a session or API key",
                requestSchema: SignUpRequest.schema, responseSchema: Schema.object(["tenant": TenantJSON.schema]), successStatus: 201
            ),
            maxBodySize: APIBody.maximumSize
        ) { request in
            let body: SignUpRequest = try await request.decodeJSON()
            let form = SignUpForm(
                organisation: body.organisation, region: body.region, email: body.email, password: body.password, displayName: body.displayName
            )
            let result = try await tenancy.signUp.signUp(form, clientAddress: request.clientIP, userAgent: request.headerFields[.userAgent] ?? "")
            // The first session stays unused: API clients authenticate with keys created in the portal.
            try? await tenancy.authenticator.logout(result.session, email: nil)
            return try APIResponse.json(["tenant": TenantJSON(result.tenant)], status: .created)
        }

        routes.get(
            "/api/v1/permissions", access: .permission(.tenantRead),
            documentation: APIDocumentation(summary: "The permission table: every permission and what each built-in role grants", responseSchema: PermissionTableJSON.schema)
        ) { _ in
            try APIResponse.json(PermissionTableJSON())
        }
    }
}

/// `GET /api/v1/me`.
struct MeJSON: Encodable {
    var tenant: TenantJSON
    var actor: [String: String]
    var role: RoleJSON
    var permissions: [String]

    init(_ context: RequestContext) {
        tenant = TenantJSON(context.tenant)
        switch context.actor {
        case .user(let id): actor = ["kind": "user", "user_id": id.uuidString.lowercased()]
        case .apiKey(let key, let user): actor = ["kind": "api_key", "api_key_id": key.uuidString.lowercased(), "user_id": user.uuidString.lowercased()]
        case .operator(let id): actor = ["kind": "operator", "operator_id": id.uuidString.lowercased()]
        case .system: actor = ["kind": "system"]
        }
        role = RoleJSON(context.role)
        permissions = context.permissions.sorted().map(\.rawValue)
    }

    static let schema = Schema.object([
        "tenant": TenantJSON.schema,
        "actor": Schema.object(["kind": Schema.string("user or api_key"), "user_id": Schema.uuid, "api_key_id": Schema.uuid], required: ["kind"]),
        "role": RoleJSON.schema,
        "permissions": Schema.permissions,
    ])
}

/// A region in `GET /api/v1/regions`.
struct RegionJSON: Encodable {
    var id: String
    var displayName: String
    var jurisdiction: String
    var country: String

    enum CodingKeys: String, CodingKey {
        case id, jurisdiction, country
        case displayName = "display_name"
    }

    init(_ region: RegionSummary) {
        id = region.id
        displayName = region.displayName
        jurisdiction = region.jurisdiction
        country = region.country
    }

    static let schema = Schema.object(["id": Schema.string(), "display_name": Schema.string(), "jurisdiction": Schema.string(), "country": Schema.string()])
}

/// `POST /api/v1/signup`.
struct SignUpRequest: Decodable {
    var organisation: String
    var region: String
    var email: String
    var password: String
    var displayName: String?

    enum CodingKeys: String, CodingKey {
        case organisation, region, email, password
        case displayName = "display_name"
    }

    static let schema = Schema.object(
        [
            "organisation": Schema.string("The organisation's name"), "region": Schema.string("A region id from GET /api/v1/regions"),
            "email": Schema.string(format: "email"), "password": Schema.string(format: "password"), "display_name": Schema.string("The owner's name"),
        ],
        required: ["organisation", "region", "email", "password"]
    )
}

/// `GET /api/v1/permissions`: built from ``BuiltInRole/permissions``, the single permission table.
struct PermissionTableJSON: Encodable {
    var permissions: [[String: String]] = Permission.allCases.sorted().map { ["name": $0.rawValue, "summary": $0.summary] }
    var roles: [RoleJSON] = BuiltInRole.allCases.map { RoleJSON(Role($0)) }

    static let schema = Schema.object([
        "permissions": Schema.array(Schema.object(["name": Schema.string(), "summary": Schema.string()])),
        "roles": Schema.array(RoleJSON.schema),
    ])
}
