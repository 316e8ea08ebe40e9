public import AgentProtocol
import Foundation
import PostgresClient
import Residency

extension AgentRegistry {
    /// Records a heartbeat (free resources, utilisation, last seen; a lost agent comes back to ready, or to draining when it was drained), renews the
    /// leases of the attempts it reports, and answers with commands (cancel attempts that are no longer its own or
    /// whose job was cancelled, drain) and, past half its lifetime, a renewed credential.
    ///
    /// On renewal the current credential becomes the previous one, accepted until its own expiry. An agent that
    /// presents its previous credential (the answer with the renewal was lost) gets a new current credential while
    /// the previous one stays as it is.
    /// - Throws: ``ComputeAgentsError/invalidFields(_:)`` for impossible numbers; ``ComputeAgentsError/unauthenticated(_:)``
    ///   when the agent was revoked since it authenticated.
    public func heartbeat(_ agent: AgentIdentity, _ report: HeartbeatRequest) async throws -> HeartbeatResponse {
        try Self.validate(report)
        let configuration = context.configuration
        let lifetime = configuration.credentialLifetimeSeconds
        let utilization = report.utilization
        let (status, renewed) = try await context.router.directory.withTransaction { connection -> (AgentStatus, AgentCredential?) in
            guard
                let row = try await connection.query(
                    """
                    UPDATE agents SET
                        free_cpu_millis = \(report.free.cpuMillis), free_memory_bytes = \(report.free.memoryBytes), free_gpus = \(report.free.gpus),
                        cpu_percent = \(min(max(utilization.cpuPercent, 0), 100)), memory_used_bytes = \(utilization.memoryUsedBytes),
                        gpu_percent = \(utilization.gpuPercent.map { min(max($0, 0), 100) }), running_jobs = \(report.running.count),
                        heartbeat_interval_seconds = \(configuration.heartbeatIntervalSeconds), last_seen_at = now(),
                        status_changed_at = CASE WHEN status = 'lost' THEN now() ELSE status_changed_at END,
                        status = CASE WHEN status <> 'lost' THEN status WHEN drain_requested_at IS NOT NULL THEN 'draining' ELSE 'ready' END
                    WHERE id = \(agent.id) AND status <> 'revoked'
                    RETURNING status, credential_expires_at < now() + make_interval(secs => \(Double(lifetime) / 2)) AS is_renewal_due
                    """
                ).first
            else { throw ComputeAgentsError.unauthenticated("This agent was revoked; enrol it again with a new join token") }
            let status = try Self.status(row)
            let isRenewalDue = try row["is_renewal_due", as: Bool.self]
            guard agent.isUsingPreviousCredential || isRenewalDue else { return (status, nil) }
            let credential = AgentSecrets.makeCredential()
            let hash = AgentSecrets.hash(credential)
            let expiresAt: Date
            if agent.isUsingPreviousCredential {
                // The agent never received the current credential: replace it and keep the one the agent holds.
                expiresAt = try await connection.query(
                    """
                    UPDATE agents SET credential_hash = \(hash), credential_expires_at = now() + make_interval(secs => \(lifetime))
                    WHERE id = \(agent.id) RETURNING credential_expires_at
                    """
                )[0]["credential_expires_at", as: Date.self]
            } else {
                expiresAt = try await connection.query(
                    """
                    UPDATE agents SET previous_credential_hash = credential_hash, previous_credential_expires_at = credential_expires_at,
                        credential_hash = \(hash), credential_expires_at = now() + make_interval(secs => \(lifetime))
                    WHERE id = \(agent.id) RETURNING credential_expires_at
                    """
                )[0]["credential_expires_at", as: Date.self]
            }
            return (status, AgentCredential(token: credential, expiresAt: expiresAt))
        }
        var current = agent
        current.status = status
        var commands = try await Dispatcher(context: context).reconcile(current, running: report.running)
        if status == .draining {
            commands.append(AgentCommand(kind: .drain, reason: "An administrator is draining this node: finish running jobs and lease no more"))
        }
        return HeartbeatResponse(heartbeatIntervalSeconds: configuration.heartbeatIntervalSeconds, commands: commands, credential: renewed)
    }
}
