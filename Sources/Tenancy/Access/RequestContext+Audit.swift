import PostgresClient
public import Residency

extension Actor {
    /// The pseudonymous actor the audit trail records (ids only).
    public var auditActor: AuditActor {
        switch self {
        case .user(let id): .user(id)
        case .apiKey(let id, _): .apiKey(id)
        case .operator(let id): .platformOperator(id)
        case .system: .system
        }
    }
}

extension RequestContext {
    /// The actor as the audit trail records it (ids only).
    public var auditActor: AuditActor { actor.auditActor }

    /// Appends an audit event for this request's tenant and actor, on a connection inside the tenant transaction
    /// that makes the change (both commit or neither).
    nonisolated(nonsending) func audit(
        _ action: String,
        target: String? = nil,
        outcome: String = "success",
        details: [String: String] = [:],
        on connection: PostgresConnection
    ) async throws {
        try await AuditLog.record(
            AuditEvent(
                actor: actor.auditActor,
                action: action,
                target: target,
                outcome: outcome,
                sourceIP: clientAddress,
                requestID: requestID,
                details: details
            ),
            tenant: tenantID,
            on: connection
        )
    }
}
