import Foundation
import PostgresClient
import Residency

/// One job attempt to release, with the words the job will show.
struct AttemptRelease {
    var tenantID: UUID
    var jobID: UUID
    var attempt: Int
    /// The job's note when it is queued again.
    var requeueNote: String
    /// The job's message when it has no attempts left.
    var failureMessage: String
    /// True for a released gang reservation, which does not use up `max_attempts`.
    var isFree: Bool
}

extension Dispatcher {
    /// Releases every live rank of the given attempts and moves their jobs (when the attempt is still current): back to
    /// queued, to failed when the attempts are used up, or to cancelled when a cancel was requested. Notifies waiting
    /// agents when something was queued again. Returns how many jobs changed state.
    nonisolated(nonsending) func release(_ releases: [AttemptRelease], attemptMessage: String, on connection: PostgresConnection) async throws -> Int {
        guard !releases.isEmpty else { return 0 }
        let tenants = releases.map(\.tenantID)
        let jobs = releases.map(\.jobID)
        let attempts = releases.map(\.attempt)
        try await connection.execute(
            """
            UPDATE job_attempts a SET state = 'released', finished_at = now(), message = \(Self.clip(attemptMessage, 1000))
            FROM unnest(\(tenants)::uuid[], \(jobs)::uuid[], \(attempts)::bigint[]) AS r(tenant_id, job_id, attempt)
            WHERE a.tenant_id = r.tenant_id AND a.job_id = r.job_id AND a.attempt = r.attempt AND a.state IN ('assigned', 'delivered', 'started')
            """
        )
        let states = try await connection.query(
            """
            WITH r AS (
                SELECT * FROM unnest(\(tenants)::uuid[], \(jobs)::uuid[], \(attempts)::bigint[], \(releases.map { Self.clip($0.requeueNote, 1000) })::text[],
                                     \(releases.map { Self.clip($0.failureMessage, 1000) })::text[], \(releases.map(\.isFree))::boolean[])
                    AS r(tenant_id, job_id, attempt, note, failure, is_free)
            ), decided AS (
                SELECT j.tenant_id, j.id, r.note, r.failure, r.is_free,
                       CASE WHEN j.cancel_requested_at IS NOT NULL THEN 'cancelled'
                            WHEN NOT r.is_free AND j.attempt - j.free_attempts >= j.max_attempts THEN 'failed'
                            ELSE 'queued' END AS next_state
                FROM jobs j JOIN r ON j.tenant_id = r.tenant_id AND j.id = r.job_id AND j.attempt = r.attempt
                WHERE j.state IN ('leased', 'running')
                FOR UPDATE OF j
            )
            UPDATE jobs j SET state = d.next_state,
                free_attempts = j.free_attempts + CASE WHEN d.is_free THEN 1 ELSE 0 END,
                lease_expires_at = NULL,
                placement_note = CASE WHEN d.next_state = 'queued' THEN d.note ELSE '' END,
                message = CASE d.next_state WHEN 'cancelled' THEN 'Cancelled' WHEN 'failed' THEN d.failure ELSE d.note END,
                finished_at = CASE WHEN d.next_state = 'queued' THEN NULL ELSE now() END,
                updated_at = now()
            FROM decided d WHERE j.tenant_id = d.tenant_id AND j.id = d.id
            RETURNING j.state
            """
        ).map { try $0["state", as: String.self] }
        if states.contains("queued") {
            try await connection.execute("SELECT pg_notify(\(Self.channel), '')")
        }
        return states.count
    }
}
