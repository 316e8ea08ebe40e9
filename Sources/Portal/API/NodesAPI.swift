import AgentProtocol
import ComputeAgents
import Foundation
import Residency
import HTTPTypes
import Tenancy
import WebServer

/// `/api/v1/nodes` and `/api/v1/join-tokens`: the organisation's dedicated compute nodes and the join tokens that
/// enrol them (tenant admins with `nodes.manage`; shared nodes are the platform operator's).
enum NodesAPI {
    /// The 404 message for unknown node ids.
    static let nodeNotFound = "No node with that id"
    /// The 404 message for unknown token ids.
    static let tokenNotFound = "No join token with that id"

    /// Registers the routes, each with its access rule and documentation.
    static func add(to routes: inout PortalRoutes, environment: PortalEnvironment) {
        routes.get(
            "/api/v1/nodes", access: .permission(.nodesManage),
            documentation: APIDocumentation(
                summary: "The organisation's dedicated compute nodes (agents), by region then host",
                responseSchema: ItemsJSON<NodeJSON>.schema(NodeJSON.schema)
            )
        ) { request in
            let administrator = NodeAdministrator.tenantAdmin(try request.requireContext())
            let agents = try await environment.requireComputeAgents().registry.list(by: administrator)
            return try APIResponse.json(ItemsJSON(items: agents.map(NodeJSON.init)))
        }

        routes.post(
            "/api/v1/nodes/:id/drain", access: .permission(.nodesManage),
            documentation: APIDocumentation(summary: "Stops a dedicated node from taking new work; running jobs finish", successStatus: 204)
        ) { request in
            let administrator = NodeAdministrator.tenantAdmin(try request.requireContext())
            try await environment.requireComputeAgents().registry.drain(try request.pathID(notFound: nodeNotFound), by: administrator)
            return APIResponse.noContent
        }

        routes.post(
            "/api/v1/nodes/:id/revoke", access: .permission(.nodesManage),
            documentation: APIDocumentation(summary: "Refuses a dedicated node from now on; its running jobs are queued again", successStatus: 204)
        ) { request in
            let administrator = NodeAdministrator.tenantAdmin(try request.requireContext())
            try await environment.requireComputeAgents().registry.revoke(try request.pathID(notFound: nodeNotFound), by: administrator)
            return APIResponse.noContent
        }

        routes.get(
            "/api/v1/join-tokens", access: .permission(.nodesManage),
            documentation: APIDocumentation(
                summary: "Join tokens that enrol nodes dedicated to the organisation, newest first (never the token itself)",
                responseSchema: ItemsJSON<JoinTokenJSON>.schema(JoinTokenJSON.schema)
            )
        ) { request in
            let administrator = NodeAdministrator.tenantAdmin(try request.requireContext())
            let tokens = try await environment.requireComputeAgents().joinTokens.list(by: administrator)
            return try APIResponse.json(ItemsJSON(items: tokens.map(JoinTokenJSON.init)))
        }

        routes.add(
            .post, "/api/v1/join-tokens", access: .permission(.nodesManage),
            documentation: APIDocumentation(
                summary: "Creates a join token for nodes dedicated to the organisation; the token and the join command are returned once",
                requestSchema: CreateJoinTokenRequest.schema, responseSchema: CreatedJoinTokenJSON.schema, successStatus: 201
            ),
            maxBodySize: APIBody.maximumSize
        ) { request in
            let context = try request.requireContext()
            let body: CreateJoinTokenRequest = try await request.decodeJSON()
            let services = try environment.requireComputeAgents()
            let created = try await createToken(body.request(tenant: context.tenantID), by: .tenantAdmin(context), services: services, baseURL: request.baseURL)
            return try APIResponse.json(created, status: .created)
        }

        routes.post(
            "/api/v1/join-tokens/:id/revoke", access: .permission(.nodesManage),
            documentation: APIDocumentation(summary: "Revokes a join token; nodes it enrolled stay enrolled", successStatus: 204)
        ) { request in
            let administrator = NodeAdministrator.tenantAdmin(try request.requireContext())
            try await environment.requireComputeAgents().joinTokens.revoke(try request.pathID(notFound: tokenNotFound), by: administrator)
            return APIResponse.noContent
        }
    }

    /// Creates a token and the command that enrols a node with it; field errors use the API's names.
    /// - Parameter baseURL: the address the request came in on, for the join command when no public URL is configured.
    static func createToken(
        _ request: JoinTokenRequest, by administrator: NodeAdministrator, services: ComputeAgentsServices, baseURL: String
    ) async throws -> CreatedJoinTokenJSON {
        do {
            let created = try await services.joinTokens.create(request, by: administrator)
            return CreatedJoinTokenJSON(
                joinToken: JoinTokenJSON(created.summary), token: created.token,
                joinCommand: joinCommand(publicURL: services.configuration.publicURL ?? baseURL, token: created.token)
            )
        } catch ComputeAgentsError.invalidFields(let fields) {
            let renamed = fields.map { ($0.key == "lifetime_seconds" ? "expires_in_hours" : JobsJSON.snakeCase($0.key), $0.value) }
            throw ComputeAgentsError.invalidFields(Dictionary(renamed, uniquingKeysWith: { first, _ in first }))
        }
    }

    /// `falaj-agent --server <publicURL> --join-token <token>`.
    static func joinCommand(publicURL: String, token: String) -> String {
        "falaj-agent --server \(publicURL) --join-token \(token)"
    }

    /// Parses `k=v, k=v` (commas or new lines) into labels; a part without `=` is a field error on `labels`.
    static func labels(from text: String) throws -> [String: String] {
        var labels: [String: String] = [:]
        for part in text.split(whereSeparator: { $0 == "," || $0 == "\n" }) {
            let trimmed = part.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw ComputeAgentsError.invalid(field: "labels", "Write labels as key=value pairs separated by commas ('\(String(trimmed.prefix(40)))' has no '=')")
            }
            labels[trimmed[..<equals].trimmingCharacters(in: .whitespaces)] = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
        return labels
    }
}

/// `POST /api/v1/join-tokens`.
struct CreateJoinTokenRequest: Decodable {
    var region: String
    var labels: [String: String]?
    var description: String?
    var maxUses: Int?
    var expiresInHours: Int?

    enum CodingKeys: String, CodingKey {
        case region, labels, description
        case maxUses = "max_uses", expiresInHours = "expires_in_hours"
    }

    /// The domain request, dedicated to `tenant`; defaults: one use, 24 hours.
    func request(tenant: TenantID?) throws -> JoinTokenRequest {
        let hours = expiresInHours ?? 24
        guard (1...720).contains(hours) else { throw ComputeAgentsError.invalid(field: "expires_in_hours", "Choose between 1 and 720 hours (30 days)") }
        return JoinTokenRequest(
            region: region, dedicatedTenantID: tenant, labels: labels ?? [:], description: description ?? "", maxUses: maxUses ?? 1,
            lifetimeSeconds: hours * 3600
        )
    }

    static let schema = Schema.object(
        [
            "region": Schema.string("A region the organisation's residency policy allows for processing"),
            "labels": ["type": "object", "additionalProperties": ["type": "string"], "description": "Labels every enrolled node carries"],
            "description": Schema.string(), "max_uses": ["type": "integer", "minimum": 1, "description": "How many nodes it may enrol; default 1"],
            "expires_in_hours": ["type": "integer", "minimum": 1, "maximum": 720, "description": "Default 24"],
        ],
        required: ["region"]
    )
}

/// The response to creating a join token: the token and the command, shown only this once.
struct CreatedJoinTokenJSON: Encodable {
    var joinToken: JoinTokenJSON
    var token: String
    var joinCommand: String

    enum CodingKeys: String, CodingKey {
        case token
        case joinToken = "join_token", joinCommand = "join_command"
    }

    static let schema = Schema.object([
        "join_token": JoinTokenJSON.schema, "token": Schema.string("fjn_…; shown only once"),
        "join_command": Schema.string("falaj-agent --server <url> --join-token <token>: run it on the node"),
    ])
}

/// A join token as lists show it.
struct JoinTokenJSON: Encodable {
    var id: UUID
    var prefix: String
    var description: String
    var region: String
    var dedicatedTenantID: String?
    var labels: [String: String]
    var maxUses: Int
    var uses: Int
    var expiresAt: Date
    var createdBy: String
    var createdAt: Date
    var revokedAt: Date?
    var isUsable: Bool

    enum CodingKeys: String, CodingKey {
        case id, prefix, description, region, labels, uses
        case dedicatedTenantID = "dedicated_tenant_id", maxUses = "max_uses", expiresAt = "expires_at", createdBy = "created_by"
        case createdAt = "created_at", revokedAt = "revoked_at", isUsable = "is_usable"
    }

    init(_ token: JoinTokenSummary) {
        id = token.id
        prefix = token.displayPrefix
        description = token.description
        region = token.region
        dedicatedTenantID = token.dedicatedTenantID?.description
        labels = token.labels
        maxUses = token.maxUses
        uses = token.uses
        expiresAt = token.expiresAt
        createdBy = token.createdBy
        createdAt = token.createdAt
        revokedAt = token.revokedAt
        isUsable = token.isUsable
    }

    static let schema = Schema.object(
        [
            "id": Schema.uuid, "prefix": Schema.string(), "description": Schema.string(), "region": Schema.string(),
            "dedicated_tenant_id": ["type": ["string", "null"], "format": "uuid"], "labels": ["type": "object", "additionalProperties": ["type": "string"]],
            "max_uses": Schema.integer, "uses": Schema.integer, "expires_at": Schema.dateTime, "created_by": Schema.string(),
            "created_at": Schema.dateTime, "revoked_at": Schema.optionalDateTime, "is_usable": Schema.boolean,
        ],
        required: ["id", "prefix", "description", "region", "labels", "max_uses", "uses", "expires_at", "created_by", "created_at", "is_usable"]
    )
}
