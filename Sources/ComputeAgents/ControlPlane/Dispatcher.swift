public import AgentProtocol
import Foundation
import PostgresClient
import Residency

/// The agent-facing side of the queue.
public struct Dispatcher: Sendable {
    let context: ComputeAgentsContext

    /// The NOTIFY channel that wakes lease long-polls (one listener per cell).
    static let channel = "falaj_dispatch"
    /// The transaction setting under which the `dispatch` row-level security policy lets the dispatcher see and
    /// change every tenant's jobs and attempts.
    static let dispatchScope: [(name: String, value: String)] = [("app.scope", "dispatch")]
    /// Live attempt states: reserved for a gang member, handed to the agent, or running.
    static let liveStates = ["assigned", "delivered", "started"]

    /// Leases work for an agent: at most `maxJobs` queued jobs whose resources fit what it reported free, whose
    /// allowed regions include the agent's, whose node selector its labels satisfy, and (for a dedicated agent) of
    /// its tenant only; `FOR UPDATE SKIP LOCKED`, fair share by priority then `fair_seq`. Gang members reserved for
    /// this agent come first. Waits (woken by NOTIFY) up to the request's wait when nothing fits; an agent that is not
    /// ready (draining, lost, revoked) gets no work.
    public func lease(_ agent: AgentIdentity, _ request: LeaseRequest) async throws -> LeaseResponse {
        let waitSeconds = max(0, min(request.waitSeconds, context.configuration.maximumLeaseWaitSeconds, AgentProtocol.maximumLeaseWaitSeconds))
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(waitSeconds)
        let signal = context.dispatch.signal
        guard agent.status == .ready else {
            while clock.now < deadline && !signal.isStopped && !Task.isCancelled {  // only shutdown ends it early
                try? await Task.sleep(for: min(deadline - clock.now, .seconds(1)))
            }
            return LeaseResponse(jobs: [])
        }
        while true {
            let generation = signal.generation
            let jobs = try await leaseOnce(agent, request)
            let now = clock.now
            if !jobs.isEmpty || now >= deadline || Task.isCancelled || signal.isStopped { return LeaseResponse(jobs: jobs) }
            // Woken by a submission or requeue (NOTIFY), or a one-second tick in case a wake-up was lost.
            await signal.wait(after: generation, timeout: min(deadline - now, .seconds(1)))
        }
    }

    /// The scope of a job-scoped token, or nil when it is unknown or its lease has ended.
    ///
    /// A token is accepted while its attempt is live (delivered or started, or assigned at the gang barrier), is the
    /// job's current attempt and the lease has not expired; and, so that a result whose answer was lost can be sent
    /// again, for one lease period after that attempt's result was recorded.
    public func authenticateJob(_ bearer: String) async throws -> JobTokenScope? {
        guard let (region, hash) = JobTokens.parse(bearer), let pool = try? context.router.cell(for: region) else { return nil }
        let rows = try await pool.withTransaction(settings: Self.dispatchScope) { connection in
            try await connection.query(
                """
                SELECT a.tenant_id, a.job_id, a.attempt, a.node_rank FROM job_attempts a
                JOIN jobs j ON j.tenant_id = a.tenant_id AND j.id = a.job_id AND j.attempt = a.attempt
                WHERE a.token_hash = \(hash)
                  AND ((a.state IN ('assigned', 'delivered', 'started') AND j.state IN ('leased', 'running') AND j.lease_expires_at > now())
                       OR (a.state IN ('succeeded', 'failed', 'cancelled')
                           AND a.finished_at > now() - make_interval(secs => \(Double(context.configuration.leaseSeconds)))))
                """
            )
        }
        guard let row = rows.first else { return nil }
        return JobTokenScope(
            tenantID: TenantID(try row["tenant_id", as: UUID.self]),
            jobID: try row["job_id", as: UUID.self],
            attempt: try row["attempt", as: Int.self],
            nodeRank: try row["node_rank", as: Int.self]
        )
    }

    /// Stores one log chunk (idempotent on `seq`) and renews the lease.
    /// - Throws: ``ComputeAgentsError/invalidFields(_:)`` for a negative `seq` or a chunk over 1 MiB;
    ///   ``ComputeAgentsError/unauthenticated(_:)`` once the attempt's lease has ended.
    public func appendLog(_ scope: JobTokenScope, seq: Int, data: [UInt8]) async throws -> LogChunkAcknowledgement {
        guard seq >= 0, seq <= Int(Int32.max) else { throw ComputeAgentsError.invalid(field: "seq", "Use a sequence number from 0 up") }
        guard data.count <= 1 << 20 else { throw ComputeAgentsError.invalid(field: "data", "A log chunk may be at most 1 MiB") }
        return try await context.router.withTenantTransaction(scope.tenantID) { connection in
            try await renewLease(scope, on: connection)
            let inserted = try await connection.execute(
                """
                INSERT INTO job_log_chunks (tenant_id, job_id, attempt, node_rank, seq, data)
                VALUES (\(scope.tenantID.rawValue), \(scope.jobID), \(scope.attempt), \(scope.nodeRank), \(seq), \(data))
                ON CONFLICT DO NOTHING
                """
            )
            return LogChunkAcknowledgement(seq: seq, isNew: inserted == 1)
        }
    }

    /// Stores events; a `started` event moves the job to running.
    /// - Throws: ``ComputeAgentsError/invalidFields(_:)`` for more than 1,000 events or an oversized field;
    ///   ``ComputeAgentsError/unauthenticated(_:)`` once the attempt's lease has ended.
    public func recordEvents(_ scope: JobTokenScope, _ batch: JobEventBatch) async throws {
        try Self.validate(batch)
        try await context.router.withTenantTransaction(scope.tenantID) { connection in
            try await renewLease(scope, on: connection)
            try await insertEvents(batch.events, scope: scope, on: connection)
            if batch.events.contains(where: { $0.kind == .started }) {
                try await markStarted(scope, on: connection)
            }
        }
    }

    /// Streams an artifact into the tenant's encrypted blob store in its home region, verifying `sha256`; nothing is
    /// listed unless the digest matches.
    /// - Throws: ``ComputeAgentsError/invalidFields(_:)`` for a bad path or digest, or when the bytes do not match
    ///   `sha256` (field `sha256`); ``ComputeAgentsError/unauthenticated(_:)`` once the attempt's lease has ended.
    public func storeArtifact(
        _ scope: JobTokenScope, path: String, sha256: String, body: some AsyncSequence<[UInt8], any Error> & Sendable
    ) async throws -> ArtifactReceipt {
        try await storeArtifactBody(scope, path: path, sha256: sha256, body: body)
    }

    /// Records how the attempt ended (idempotent: the same attempt reporting again gets the same answer with
    /// `isNew` false). A failed command is not retried (attempts are for lost agents and leases); a gang job ends
    /// when every rank has reported.
    /// - Throws: ``ComputeAgentsError/conflict(_:)`` when the attempt is no longer the job's current one.
    public func reportResult(_ scope: JobTokenScope, _ report: JobResultReport) async throws -> JobResultAcknowledgement {
        try await recordResult(scope, report)
    }

    /// The gang barrier: start once every member has picked its assignment up; abort when the gang was released.
    /// Waits up to a few seconds while members are missing.
    public func gangStatus(_ scope: JobTokenScope) async throws -> GangStatus {
        try await waitForGang(scope)
    }
}
