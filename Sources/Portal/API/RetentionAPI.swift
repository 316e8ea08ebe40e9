import Foundation
import HTTPTypes
import Residency
import Tenancy
import WebServer

/// `/api/v1/privacy/retention`: how long each category of data is kept.
enum RetentionAPI {
    /// Registers the routes, each with its access rule and documentation.
    static func add(to routes: inout PortalRoutes, environment: PortalEnvironment) {
        let retention = environment.tenancy.retention

        routes.get(
            "/api/v1/privacy/retention", access: .permission(.tenantRead),
            documentation: APIDocumentation(
                summary: "Retention policy per data category (days kept; default unless set)",
                responseSchema: ItemsJSON<RetentionPolicyJSON>.schema(RetentionPolicyJSON.schema)
            )
        ) { request in
            try APIResponse.json(ItemsJSON(items: try await retention.policies(try request.requireContext()).map(RetentionPolicyJSON.init)))
        }

        routes.add(
            .put, "/api/v1/privacy/retention", access: .permission(.securityManage),
            documentation: APIDocumentation(
                summary: "Sets days kept for some categories, e.g. {\"days\": {\"sessions\": 14}}",
                requestSchema: Schema.object(["days": ["type": "object", "additionalProperties": Schema.integer]]),
                responseSchema: ItemsJSON<RetentionPolicyJSON>.schema(RetentionPolicyJSON.schema)
            ),
            maxBodySize: APIBody.maximumSize
        ) { request in
            let body: RetentionUpdate = try await request.decodeJSON()
            let updated = try await retention.update(try request.requireContext(), days: body.days)
            return try APIResponse.json(ItemsJSON(items: updated.map(RetentionPolicyJSON.init)))
        }
    }
}

/// The body of `PUT /api/v1/privacy/retention`.
struct RetentionUpdate: Decodable {
    var days: [String: Int]
}

/// One category's policy on the wire.
struct RetentionPolicyJSON: Encodable {
    var category: String
    var summary: String
    var days: Int
    var isCustom: Bool

    enum CodingKeys: String, CodingKey {
        case category, summary, days
        case isCustom = "is_custom"
    }

    init(_ policy: RetentionPolicy) {
        category = policy.category.id
        summary = policy.category.summary
        days = policy.days
        isCustom = policy.isCustom
    }

    static let schema = Schema.object(["category": Schema.string(), "summary": Schema.string(), "days": Schema.integer, "is_custom": Schema.boolean])
}
