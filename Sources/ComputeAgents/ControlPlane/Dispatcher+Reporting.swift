import AgentProtocol
import Foundation
import PostgresClient
import Residency

extension Dispatcher {
    /// Extends the lease of the scope's attempt; throws when the attempt is no longer live and current.
    nonisolated(nonsending) func renewLease(_ scope: JobTokenScope, on connection: PostgresConnection) async throws {
        let renewed = try await connection.execute(
            """
            UPDATE jobs j SET lease_expires_at = now() + make_interval(secs => \(Double(context.configuration.leaseSeconds)))
            FROM job_attempts a
            WHERE j.tenant_id = \(scope.tenantID.rawValue) AND j.id = \(scope.jobID) AND j.attempt = \(scope.attempt)
              AND j.state IN ('leased', 'running') AND j.lease_expires_at > now()
              AND a.tenant_id = j.tenant_id AND a.job_id = j.id AND a.attempt = j.attempt AND a.node_rank = \(scope.nodeRank)
              AND a.state IN ('assigned', 'delivered', 'started')
            """
        )
        guard renewed > 0 else {
            throw ComputeAgentsError.unauthenticated("The lease of attempt \(scope.attempt) of this job has ended; stop working on it")
        }
    }

    /// Refuses event batches the tables cannot hold.
    static func validate(_ batch: JobEventBatch) throws(ComputeAgentsError) {
        guard batch.events.count <= 1000 else { throw .invalid(field: "events", "Send at most 1,000 events at once") }
        for event in batch.events {
            if let name = event.name, name.unicodeScalars.count > 200 { throw .invalid(field: "events.name", "A metric name may have at most 200 characters") }
            if let message = event.message, message.unicodeScalars.count > 2000 {
                throw .invalid(field: "events.message", "A status message may have at most 2,000 characters")
            }
            if let value = event.value, !value.isFinite { throw .invalid(field: "events.value", "Values must be finite numbers") }
            if let step = event.step, step < Int(Int32.min) || step > Int(Int32.max) { throw .invalid(field: "events.step", "The step does not fit") }
        }
    }

    private struct EventRow: Encodable {
        var kind: String
        var name: String?
        var step: Int?
        var value: Double?
        var message: String?
        var time: String
    }

    nonisolated(nonsending) func insertEvents(_ events: [JobEventReport], scope: JobTokenScope, on connection: PostgresConnection) async throws {
        guard !events.isEmpty else { return }
        let rows = events.map { EventRow(kind: $0.kind.rawValue, name: $0.name, step: $0.step, value: $0.value, message: $0.message, time: $0.time.postgresText ?? "") }
        try await connection.execute(
            """
            INSERT INTO job_events (tenant_id, job_id, attempt, node_rank, kind, name, step, value, message, event_time)
            SELECT \(scope.tenantID.rawValue), \(scope.jobID), \(scope.attempt), \(scope.nodeRank), e.kind, e.name, e.step, e.value, e.message, e.time
            FROM jsonb_to_recordset(\(try PostgresJSON(encoding: rows)))
                AS e(kind text, name text, step integer, value double precision, message text, time timestamptz)
            """
        )
    }

    nonisolated(nonsending) func markStarted(_ scope: JobTokenScope, on connection: PostgresConnection) async throws {
        try await connection.execute(
            """
            UPDATE job_attempts SET state = 'started', started_at = coalesce(started_at, now())
            WHERE job_id = \(scope.jobID) AND attempt = \(scope.attempt) AND node_rank = \(scope.nodeRank) AND state IN ('assigned', 'delivered')
            """
        )
        try await connection.execute(
            """
            UPDATE jobs SET state = 'running', started_at = coalesce(started_at, now()), updated_at = now()
            WHERE id = \(scope.jobID) AND attempt = \(scope.attempt) AND state = 'leased'
            """
        )
    }

    /// See ``reportResult(_:_:)``.
    func recordResult(_ scope: JobTokenScope, _ report: JobResultReport) async throws -> JobResultAcknowledgement {
        let message = Self.clip(report.message ?? "", 1000)
        let exitCode = report.exitCode.map { Int(Int32(clamping: $0)) }
        let acknowledgement = try await context.router.withTenantTransaction(scope.tenantID) { connection in
            guard let row = try await connection.query(
                """
                SELECT a.state AS attempt_state, j.state AS job_state, j.attempt AS current_attempt, j.nodes,
                       j.cancel_requested_at IS NOT NULL AS is_cancel_requested
                FROM job_attempts a JOIN jobs j ON j.tenant_id = a.tenant_id AND j.id = a.job_id
                WHERE a.job_id = \(scope.jobID) AND a.attempt = \(scope.attempt) AND a.node_rank = \(scope.nodeRank)
                FOR UPDATE
                """
            ).first else { throw ComputeAgentsError.notFound("There is no attempt \(scope.attempt) of this job") }
            let attemptState = try row["attempt_state", as: String.self]
            let jobState = try row["job_state", as: String.self]
            if ["succeeded", "failed", "cancelled"].contains(attemptState) {
                return JobResultAcknowledgement(state: jobState, isNew: false)
            }
            guard try row["current_attempt", as: Int.self] == scope.attempt, Self.liveStates.contains(attemptState),
                ["leased", "running"].contains(jobState)
            else {
                throw ComputeAgentsError.conflict(
                    "Attempt \(scope.attempt) of this job is no longer current (its lease ended and the job was queued again); its result is ignored"
                )
            }
            try await connection.execute(
                """
                UPDATE job_attempts SET state = \(report.outcome.rawValue), exit_code = \(exitCode), message = \(message),
                    cpu_seconds = \(Self.finite(report.cpuSeconds)), peak_memory_bytes = \(max(0, report.peakMemoryBytes)),
                    wall_seconds = \(Self.finite(report.wallSeconds)), finished_at = now(), started_at = coalesce(started_at, now())
                WHERE job_id = \(scope.jobID) AND attempt = \(scope.attempt) AND node_rank = \(scope.nodeRank)
                """
            )
            let ranks = try await connection.query(
                "SELECT state FROM job_attempts WHERE job_id = \(scope.jobID) AND attempt = \(scope.attempt)"
            ).map { try $0["state", as: String.self] }
            guard ranks.allSatisfy({ ["succeeded", "failed", "cancelled"].contains($0) }) else {
                return JobResultAcknowledgement(state: jobState, isNew: true)
            }
            let isCancelRequested = try row["is_cancel_requested", as: Bool.self]
            let final: String =
                if ranks.contains("failed") { "failed" }
                else if isCancelRequested || ranks.contains("cancelled") { "cancelled" }
                else { "succeeded" }
            let jobMessage = message.isEmpty ? Self.defaultMessage(final, exitCode: exitCode) : message
            try await connection.execute(
                """
                UPDATE jobs SET state = \(final), exit_code = \(exitCode), message = \(jobMessage), finished_at = now(),
                    started_at = coalesce(started_at, now()), lease_expires_at = NULL, placement_note = '', updated_at = now()
                WHERE id = \(scope.jobID)
                """
            )
            return JobResultAcknowledgement(state: final, isNew: true)
        }
        return acknowledgement
    }

    static func defaultMessage(_ state: String, exitCode: Int?) -> String {
        switch state {
        case "succeeded": "Finished"
        case "cancelled": "Cancelled"
        default: exitCode.map { "Exited with status \($0)" } ?? "Failed"
        }
    }

    /// `text` cut to at most `limit` Unicode scalars (Postgres' `length`).
    static func clip(_ text: String, _ limit: Int) -> String {
        text.unicodeScalars.count <= limit ? text : String(String.UnicodeScalarView(text.unicodeScalars.prefix(limit)))
    }

    static func finite(_ value: Double) -> Double { value.isFinite ? max(0, value) : 0 }
}
