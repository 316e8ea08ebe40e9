public import Foundation

/// Who did something, as the audit trail records it: a kind and a pseudonymous id (never a name or e-mail).
public struct AuditActor: Sendable, Equatable, Codable {
    /// `user`, `api_key`, `agent`, `operator` or `system`.
    public var kind: String
    /// The id of the user, key, agent or operator; nil for the system.
    public var id: String?

    /// A member.
    public static func user(_ id: UUID) -> AuditActor { AuditActor(kind: "user", id: id.uuidString.lowercased()) }
    /// An API key.
    public static func apiKey(_ id: UUID) -> AuditActor { AuditActor(kind: "api_key", id: id.uuidString.lowercased()) }
    /// A compute agent.
    public static func agent(_ id: UUID) -> AuditActor { AuditActor(kind: "agent", id: id.uuidString.lowercased()) }
    /// A platform operator.
    public static func platformOperator(_ id: UUID) -> AuditActor { AuditActor(kind: "operator", id: id.uuidString.lowercased()) }
    /// Falaj itself.
    public static let system = AuditActor(kind: "system", id: nil)
}

/// What happened, before the chain fields are added.
public struct AuditEvent: Sendable {
    /// Who acted.
    public var actor: AuditActor
    /// A dotted verb such as `member.login`, `member.role_changed`, `residency.placement_refused`.
    public var action: String
    /// What it acted on, e.g. `user:<id>`, `api_key:<id>`, `region:eu-west-1`.
    public var target: String?
    /// `success`, `failure` or `denied`.
    public var outcome: String
    /// The client address.
    public var sourceIP: String?
    /// The request id.
    public var requestID: String?
    /// Extra facts as a flat JSON object (no secrets, no personal data beyond ids).
    public var details: [String: String]

    /// Creates an event.
    public init(
        actor: AuditActor,
        action: String,
        target: String? = nil,
        outcome: String = "success",
        sourceIP: String? = nil,
        requestID: String? = nil,
        details: [String: String] = [:]
    ) {
        self.actor = actor
        self.action = action
        self.target = target
        self.outcome = outcome
        self.sourceIP = sourceIP
        self.requestID = requestID
        self.details = details
    }
}

/// A stored audit row.
public struct AuditRecord: Sendable, Equatable, Codable {
    /// Position in the tenant's chain, from 1.
    public var sequence: Int64
    /// When it was appended (millisecond precision).
    public var occurredAt: Date
    /// Who acted.
    public var actor: AuditActor
    /// The action.
    public var action: String
    /// The target.
    public var target: String?
    /// The outcome.
    public var outcome: String
    /// The client address.
    public var sourceIP: String?
    /// The request id.
    public var requestID: String?
    /// The region of the cell that holds it.
    public var region: String
    /// Extra facts.
    public var details: [String: String]
    /// The row's hash, hex.
    public var hash: String
}
