import AgentProtocol
public import Foundation
import Logging
import PostgresClient
import Residency
import Tenancy

extension AgentRegistry {
    /// Agents the administrator may see (operators: all; tenant admins: their dedicated ones), by region then host.
    /// - Throws: ``ComputeAgentsError/forbidden(_:)`` for a tenant member without `nodes.manage`.
    public func list(by administrator: NodeAdministrator) async throws -> [AgentSummary] {
        try administrator.requireNodesManage()
        let tenant = administrator.scopeTenant?.rawValue
        return try await context.router.directory.withConnection { connection in
            try await connection.query(
                """
                SELECT id, region_id, dedicated_tenant_id, status, hostname, operating_system, cpu_model, cpu_cores, memory_bytes, disk_bytes,
                       gpus, labels, agent_version, address, free_cpu_millis, free_memory_bytes, free_gpus, cpu_percent, memory_used_bytes,
                       gpu_percent, running_jobs, registered_at, last_seen_at
                FROM agents
                WHERE \(tenant)::uuid IS NULL OR dedicated_tenant_id = \(tenant)
                ORDER BY region_id, hostname, id
                """
            ).map(Self.summary)
        }
    }

    /// Stops an agent from leasing new work; running jobs finish. Audited as `agents.drained` for a dedicated agent.
    /// - Throws: ``ComputeAgentsError/notFound(_:)`` when the administrator cannot see it,
    ///   ``ComputeAgentsError/conflict(_:)`` when it is revoked.
    public func drain(_ id: UUID, by administrator: NodeAdministrator) async throws {
        try await changeStatus(of: id, to: .draining, action: "agents.drained", by: administrator)
    }

    /// Refuses the agent from now on and releases its leases (their jobs are queued again). Audited as
    /// `agents.revoked` for a dedicated agent. Revoking a revoked agent audits nothing but releases any lease left
    /// behind, so a revocation whose release failed can simply be repeated.
    /// - Throws: ``ComputeAgentsError/notFound(_:)`` when the administrator cannot see it.
    public func revoke(_ id: UUID, by administrator: NodeAdministrator) async throws {
        try await changeStatus(of: id, to: .revoked, action: "agents.revoked", by: administrator)
        let released = try await Dispatcher(context: context).releaseLeases(ofAgent: id, reason: "the agent was revoked")
        if released > 0 {
            context.logger.info("released the leases of a revoked agent", metadata: ["agent": "\(id)", "jobs": "\(released)"])
        }
    }

    /// Moves a visible agent to `status` in the directory and audits (or, for a shared agent, logs) it.
    /// - Returns: whether the status changed.
    @discardableResult
    private func changeStatus(of id: UUID, to status: AgentStatus, action: String, by administrator: NodeAdministrator) async throws -> Bool {
        try administrator.requireNodesManage()
        let scope = administrator.scopeTenant?.rawValue
        let changed = try await context.router.directory.withTransaction { connection -> (tenant: TenantID?, event: AuditEvent)? in
            guard
                let row = try await connection.query(
                    """
                    SELECT dedicated_tenant_id, status, hostname FROM agents
                    WHERE id = \(id) AND (\(scope)::uuid IS NULL OR dedicated_tenant_id = \(scope)) FOR UPDATE
                    """
                ).first
            else { throw ComputeAgentsError.notFound("No compute node with that id") }
            let current = try Self.status(row)
            guard current != status else { return nil }
            guard current != .revoked else { throw ComputeAgentsError.conflict("The node is revoked; enrol it again with a new join token") }
            try await connection.execute(
                """
                UPDATE agents SET status = \(status.rawValue), status_changed_at = now(),
                    drain_requested_at = CASE WHEN \(status.rawValue) = 'draining' THEN now() ELSE drain_requested_at END
                WHERE id = \(id)
                """
            )
            let tenant = try row["dedicated_tenant_id", as: UUID?.self].map(TenantID.init)
            let event = administrator.event(
                action,
                target: "agent:\(id.uuidString.lowercased())",
                details: ["hostname": try row["hostname", as: String.self], "previous_status": current.rawValue]
            )
            if let tenant { try await context.audit(event, tenant: tenant) }
            return (tenant, event)
        }
        guard let changed else { return false }
        if changed.tenant == nil { context.logSharedAction(changed.event) }
        return true
    }

    /// Decodes a row of ``list(by:)``.
    static func summary(_ row: PostgresRow) throws -> AgentSummary {
        let address = try row["address", as: String.self]
        return AgentSummary(
            id: try row["id", as: UUID.self],
            region: try row["region_id", as: String.self],
            dedicatedTenantID: try row["dedicated_tenant_id", as: UUID?.self].map(TenantID.init),
            status: try status(row),
            inventory: AgentInventory(
                hostname: try row["hostname", as: String.self],
                operatingSystem: try row["operating_system", as: String.self],
                cpuModel: try row["cpu_model", as: String.self],
                cpuCores: try row["cpu_cores", as: Int.self],
                memoryBytes: try row["memory_bytes", as: Int64.self],
                diskBytes: try row["disk_bytes", as: Int64.self],
                gpus: try row["gpus", as: PostgresJSON.self].decode([GPUDevice].self),
                agentVersion: try row["agent_version", as: String.self],
                labels: try row["labels", as: PostgresJSON.self].decode([String: String].self),
                advertiseAddress: address
            ),
            address: address,
            free: ResourceAmounts(
                cpuMillis: try row["free_cpu_millis", as: Int.self],
                memoryBytes: try row["free_memory_bytes", as: Int64.self],
                gpus: try row["free_gpus", as: Int.self]
            ),
            utilization: NodeUtilization(
                cpuPercent: try row["cpu_percent", as: Double.self],
                memoryUsedBytes: try row["memory_used_bytes", as: Int64.self],
                gpuPercent: try row["gpu_percent", as: Double?.self]
            ),
            runningJobs: try row["running_jobs", as: Int.self],
            registeredAt: try row["registered_at", as: Date.self],
            lastSeenAt: try row["last_seen_at", as: Date.self]
        )
    }
}
