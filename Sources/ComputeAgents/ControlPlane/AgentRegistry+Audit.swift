import Foundation
import Logging
import PostgresClient
import Residency
import Tenancy

extension NodeAdministrator {
    /// Who acted, as the audit trail records it.
    var auditActor: AuditActor {
        switch self {
        case .platformOperator(let id, _, _): .platformOperator(id)
        case .tenantAdmin(let context): context.auditActor
        }
    }

    /// The tenant whose tokens and agents a tenant admin may manage; nil for operators (every tenant).
    var scopeTenant: TenantID? {
        switch self {
        case .platformOperator: nil
        case .tenantAdmin(let context): context.tenantID
        }
    }

    /// Refuses tenant members without `nodes.manage`; operators may manage every node.
    func requireNodesManage() throws(ComputeAgentsError) {
        guard case .tenantAdmin(let context) = self, !context.allows(.nodesManage) else { return }
        throw .forbidden("Managing compute nodes and join tokens needs the nodes.manage permission")
    }

    /// The request id, for audit rows and logs.
    var requestID: String {
        switch self {
        case .platformOperator(_, let requestID, _): requestID
        case .tenantAdmin(let context): context.requestID
        }
    }

    /// The client address, for audit rows.
    var clientAddress: String {
        switch self {
        case .platformOperator(_, _, let clientAddress): clientAddress
        case .tenantAdmin(let context): context.clientAddress
        }
    }

    /// An audit event for this administrator's request.
    func event(_ action: String, target: String, details: [String: String] = [:]) -> AuditEvent {
        AuditEvent(actor: auditActor, action: action, target: target, sourceIP: clientAddress, requestID: requestID, details: details)
    }
}

extension ComputeAgentsContext {
    /// Records a node event in the audit log of the tenant the token or agent is dedicated to.
    ///
    /// Call it inside the directory transaction that makes the change, as its last step: the audit row commits
    /// first, so a failed audit rolls the change back.
    func audit(_ event: AuditEvent, tenant: TenantID) async throws {
        try await router.withTenantTransaction(tenant) { connection in
            _ = try await AuditLog.record(event, tenant: tenant, on: connection)
        }
    }

    /// Logs an action on a shared token or agent (which belongs to no tenant's audit log); ids only, no secrets.
    func logSharedAction(_ event: AuditEvent) {
        var metadata: Logger.Metadata = [
            "action": "\(event.action)",
            "actor": "\(event.actor.kind):\(event.actor.id ?? "-")",
            "target": "\(event.target ?? "-")",
        ]
        if let requestID = event.requestID { metadata["request_id"] = "\(requestID)" }
        for (key, value) in event.details { metadata["detail.\(key)"] = "\(value)" }
        logger.info("compute node action", metadata: metadata)
    }
}
