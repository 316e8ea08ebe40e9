import AgentProtocol
import Foundation
import PostgresClient
import Residency
import ServiceLifecycle

extension Dispatcher {
    /// Renews the leases of attempts the agent reports that are still current and its own; returns cancel_job
    /// commands for reported attempts that are stale (another attempt is current, lease released) or whose job has a
    /// cancel request.
    func reconcile(_ agent: AgentIdentity, running: [RunningJobReport]) async throws -> [AgentCommand] {
        guard !running.isEmpty else { return [] }
        let reports = Array(running.prefix(1000))
        var verdicts: [Int: String?] = [:]  // report index → nil (renewed or finished) or the reason to cancel
        for region in context.router.regionIDs {
            let found = try await context.router.cell(for: region).withTransaction(settings: Self.dispatchScope) { connection in
                let rows = try await connection.query(
                    """
                    SELECT r.position, a.agent_id, a.state AS attempt_state, j.attempt AS current_attempt, j.state AS job_state,
                           j.cancel_requested_at IS NOT NULL AS is_cancel_requested,
                           EXISTS (SELECT 1 FROM job_attempts s WHERE s.tenant_id = j.tenant_id AND s.job_id = j.id AND s.attempt = r.attempt
                                   AND s.state = 'failed') AS has_failed_rank
                    FROM unnest(\(reports.map(\.jobID))::uuid[], \(reports.map(\.attempt))::bigint[], \(reports.map(\.nodeRank))::bigint[])
                        WITH ORDINALITY AS r(job_id, attempt, node_rank, position)
                    JOIN jobs j ON j.id = r.job_id
                    LEFT JOIN job_attempts a ON a.tenant_id = j.tenant_id AND a.job_id = j.id AND a.attempt = r.attempt AND a.node_rank = r.node_rank
                    """
                )
                var verdicts: [Int: String?] = [:]
                var renew: [UUID] = []
                for row in rows {
                    let index = try row["position", as: Int.self] - 1
                    let state = try row["attempt_state", as: String?.self]
                    let isOwn = try row["agent_id", as: UUID?.self] == agent.id
                    let isCurrent = try row["current_attempt", as: Int.self] == reports[index].attempt
                        && ["leased", "running"].contains(try row["job_state", as: String.self])
                    if isOwn, let state, ["succeeded", "failed", "cancelled"].contains(state) {
                        verdicts[index] = .some(nil)  // its result is recorded; nothing to do
                    } else if !isOwn || state.map({ !Self.liveStates.contains($0) }) ?? true || !isCurrent {
                        verdicts[index] = "This attempt is no longer current on this node (its lease ended or the job was queued again)"
                    } else if try row["is_cancel_requested", as: Bool.self] {
                        verdicts[index] = "The job was cancelled"
                    } else if try row["has_failed_rank", as: Bool.self] {
                        verdicts[index] = "Another member of the gang failed"
                    } else {
                        verdicts[index] = .some(nil)
                        renew.append(reports[index].jobID)
                    }
                }
                if !renew.isEmpty {
                    try await connection.execute(
                        """
                        UPDATE jobs SET lease_expires_at = now() + make_interval(secs => \(Double(context.configuration.leaseSeconds)))
                        WHERE id = ANY(\(renew)::uuid[]) AND state IN ('leased', 'running')
                        """
                    )
                }
                return verdicts
            }
            verdicts.merge(found) { first, _ in first }
        }
        return reports.indices.compactMap { index in
            let reason: String? = verdicts[index] ?? "This node is not running the job as far as the server knows"
            guard let reason else { return nil }
            return AgentCommand(kind: .cancelJob, jobID: reports[index].jobID, attempt: reports[index].attempt, reason: reason)
        }
    }

    /// Releases every live attempt (assigned/delivered/started) of the agent in every cell: jobs go back to queued
    /// (attempt counted) or fail when attempts are used up; cancelled when a cancel was requested. Returns how many.
    func releaseLeases(ofAgent agentID: UUID, reason: String) async throws -> Int {
        var total = 0
        for region in context.router.regionIDs {
            total += try await context.router.cell(for: region).withTransaction(settings: Self.dispatchScope) { connection in
                let releases = try await connection.query(
                    "SELECT DISTINCT tenant_id, job_id, attempt FROM job_attempts WHERE agent_id = \(agentID) AND state IN ('assigned', 'delivered', 'started')"
                ).map { row in try Self.lostAttempt(row, reason: reason) }
                return try await release(releases, attemptMessage: reason, on: connection)
            }
        }
        if total > 0 { context.dispatch.signal.fire() }
        return total
    }

    /// The same for every job whose lease_expires_at has passed. Returns how many.
    func expireLeases() async throws -> Int {
        let reason = "its lease expired (no word from the agent for \(context.configuration.leaseSeconds) s)"
        var total = 0
        for region in context.router.regionIDs {
            total += try await context.router.cell(for: region).withTransaction(settings: Self.dispatchScope) { connection in
                let releases = try await connection.query(
                    """
                    SELECT tenant_id, id AS job_id, attempt FROM jobs
                    WHERE state IN ('leased', 'running') AND lease_expires_at < now()
                    ORDER BY lease_expires_at LIMIT 500 FOR UPDATE SKIP LOCKED
                    """
                ).map { row in try Self.lostAttempt(row, reason: reason) }
                return try await release(releases, attemptMessage: "Lease expired", on: connection)
            }
        }
        if total > 0 { context.dispatch.signal.fire() }
        return total
    }

    /// Releases gang reservations whose members did not all pick up within gangTimeoutSeconds (all-or-nothing).
    func releaseStaleGangs() async throws -> Int {
        let timeout = context.configuration.gangTimeoutSeconds
        var total = 0
        for region in context.router.regionIDs {
            total += try await context.router.cell(for: region).withTransaction(settings: Self.dispatchScope) { connection in
                let releases = try await connection.query(
                    """
                    SELECT a.tenant_id, a.job_id, a.attempt, j.nodes,
                           (SELECT count(*) FROM job_attempts m WHERE m.tenant_id = a.tenant_id AND m.job_id = a.job_id AND m.attempt = a.attempt
                                AND m.state <> 'assigned') AS picked_up
                    FROM (SELECT DISTINCT tenant_id, job_id, attempt FROM job_attempts
                          WHERE state = 'assigned' AND assigned_at < now() - make_interval(secs => \(Double(timeout)))) a
                    JOIN jobs j ON j.tenant_id = a.tenant_id AND j.id = a.job_id AND j.attempt = a.attempt AND j.state IN ('leased', 'running')
                    LIMIT 200
                    """
                ).map { row in
                    let note = "Gang released: only \(try row["picked_up", as: Int.self]) of \(try row["nodes", as: Int.self]) members picked up within \(timeout) s"
                    return AttemptRelease(
                        tenantID: try row["tenant_id", as: UUID.self], jobID: try row["job_id", as: UUID.self], attempt: try row["attempt", as: Int.self],
                        requeueNote: note, failureMessage: note, isFree: true
                    )
                }
                return try await release(releases, attemptMessage: "The gang was released: not every member picked up in time", on: connection)
            }
        }
        if total > 0 { context.dispatch.signal.fire() }
        return total
    }

    /// Refreshes `placement_note` of queued jobs that wait longer than a few seconds, explaining why (no agent in
    /// the allowed regions, none with the GPUs asked for, too few for a gang, all busy, …). Returns how many notes
    /// changed.
    func explainWaitingJobs() async throws -> Int {
        try await explainWaiting()
    }

    /// The LISTEN/NOTIFY wake-up service (one listener per cell on channel `falaj_dispatch`); ends on graceful shutdown.
    var wakeUpService: any Service { DispatchWakeUpService(context: context) }

    /// A lost attempt of a `(tenant_id, job_id, attempt)` row.
    static func lostAttempt(_ row: PostgresRow, reason: String) throws -> AttemptRelease {
        let attempt = try row["attempt", as: Int.self]
        return AttemptRelease(
            tenantID: try row["tenant_id", as: UUID.self], jobID: try row["job_id", as: UUID.self], attempt: attempt,
            requeueNote: "Attempt \(attempt) was lost: \(reason); queued again",
            failureMessage: "The job was lost \(attempt) time\(attempt == 1 ? "" : "s") and has no attempts left (last: \(reason))",
            isFree: false
        )
    }
}
