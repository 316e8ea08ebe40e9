import Foundation
import HTTPTypes
import Residency
import Tenancy
import WebServer

/// `GET /api/v1/audit-events`: the audit trail, newest first, filtered and paged.
enum AuditAPI {
    /// Registers the route with its access rule and documentation.
    static func add(to routes: inout PortalRoutes, environment: PortalEnvironment) {
        let audit = environment.tenancy.audit
        routes.get(
            "/api/v1/audit-events", access: .permission(.auditRead),
            documentation: APIDocumentation(
                summary: "Audit events, newest first. Query: actor, action (prefix), since, until (RFC 3339), before (sequence), limit (≤1000)",
                responseSchema: ItemsJSON<AuditEventJSON>.schema(AuditEventJSON.schema)
            )
        ) { request in
            let context = try request.requireContext()
            var errors: [String: String] = [:]
            func date(_ name: String) -> Date? {
                guard let text = request.query(name), !text.isEmpty else { return nil }
                guard let date = ISO8601DateFormatter().date(from: text) else {
                    errors[name] = "'\(name)' must be an RFC 3339 time such as 2026-01-31T00:00:00Z"
                    return nil
                }
                return date
            }
            let since = date("since")
            let until = date("until")
            var limit = 100
            if let text = request.query("limit") {
                if let value = Int(text), (1...1_000).contains(value) { limit = value } else { errors["limit"] = "'limit' must be a number from 1 to 1000" }
            }
            var before: Int64?
            if let text = request.query("before") {
                if let value = Int64(text) { before = value } else { errors["before"] = "'before' must be a sequence number" }
            }
            guard errors.isEmpty else { throw TenancyError.invalidFields(errors) }
            let filter = AuditFilter(
                actorID: request.query("actor"), actionPrefix: request.query("action"), since: since, until: until, beforeSequence: before, limit: limit
            )
            return try APIResponse.json(ItemsJSON(items: try await audit.events(context, filter).map(AuditEventJSON.init)))
        }
    }
}

/// One audit event on the wire.
struct AuditEventJSON: Encodable {
    var sequence: Int64
    var occurredAt: Date
    var actorKind: String
    var actorID: String?
    var action: String
    var target: String?
    var outcome: String
    var sourceIP: String?
    var requestID: String?
    var region: String
    var details: [String: String]
    var hash: String

    enum CodingKeys: String, CodingKey {
        case sequence, action, target, outcome, region, details, hash
        case occurredAt = "occurred_at", actorKind = "actor_kind", actorID = "actor_id", sourceIP = "source_ip", requestID = "request_id"
    }

    init(_ record: AuditRecord) {
        sequence = record.sequence
        occurredAt = record.occurredAt
        actorKind = record.actor.kind
        actorID = record.actor.id
        action = record.action
        target = record.target
        outcome = record.outcome
        sourceIP = record.sourceIP
        requestID = record.requestID
        region = record.region
        details = record.details
        hash = record.hash
    }

    static let schema = Schema.object(
        [
            "sequence": Schema.integer, "occurred_at": Schema.dateTime, "actor_kind": Schema.string(), "actor_id": ["type": ["string", "null"]],
            "action": Schema.string(), "target": ["type": ["string", "null"]], "outcome": Schema.string(), "source_ip": ["type": ["string", "null"]],
            "request_id": ["type": ["string", "null"]], "region": Schema.string(), "details": ["type": "object", "additionalProperties": ["type": "string"]],
            "hash": Schema.string("SHA-256 of the previous hash and this event, hex"),
        ],
        required: ["sequence", "occurred_at", "actor_kind", "action", "outcome", "region", "details", "hash"]
    )
}
