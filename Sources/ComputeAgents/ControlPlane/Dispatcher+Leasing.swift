import AgentProtocol
import FalajCrypto
import Foundation
import PostgresClient
import Residency

/// What an agent still has room for while one lease request is served.
struct LeaseBudget {
    var free: ResourceAmounts
    var gpuIndices: [Int]
    var remainingJobs: Int

    init(_ request: LeaseRequest) {
        let indices = Array(Set(request.freeGPUIndices.filter { $0 >= 0 })).sorted()
        gpuIndices = indices
        free = ResourceAmounts(cpuMillis: request.free.cpuMillis, memoryBytes: request.free.memoryBytes, gpus: min(request.free.gpus, indices.count))
        remainingJobs = min(max(request.maxJobs, 1), 64)
    }

    /// Whether one node's share of `resources` fits what is left.
    func fits(_ resources: ResourceRequest) -> Bool { remainingJobs > 0 && free.fits(resources.amounts) }

    /// Takes one node's share of `resources`; returns the GPU indices given to it.
    mutating func take(_ resources: ResourceRequest) -> [Int] {
        free = free.subtracting(resources.amounts)
        remainingJobs -= 1
        let given = Array(gpuIndices.prefix(resources.gpus))
        gpuIndices.removeFirst(given.count)
        return given
    }
}

/// A queued job picked for an agent, before its attempt row exists.
struct AcceptedJob {
    var tenantID: UUID
    var jobID: UUID
    var kind: String
    var specJSON: String
    var resources: ResourceRequest
    var timeoutSeconds: Int
    var gpuIndices: [Int]
    var token: String
    var tokenHash: [UInt8]
}

extension Dispatcher {
    /// The lease transaction's settings: the dispatch scope, and no sorts, so the candidate query walks the
    /// `jobs_dispatch` index in its order and stops after a few rows. A queue table's statistics are often stale (it
    /// fills and drains between analyses), and the planner then prefers fetching every queued row and sorting them,
    /// which makes each lease cost as much as the queue is long.
    /// Plans are made for each call's values (the candidate limit and filters vary), never a cached generic one.
    static let leaseSettings = dispatchScope + [(name: "enable_sort", value: "off"), (name: "plan_cache_mode", value: "force_custom_plan")]

    /// One pass over every cell (starting with a rotating one) without waiting. A cell that just had nothing for the
    /// agent is skipped until a wake-up concerns it (every way work enters a cell's queue NOTIFYs: submission, requeue,
    /// gang reservation), the agent's free resources change, or a second passes; so a submission wakes every waiting
    /// agent but costs each only a look at the cell it went to, and an agent in one region does not pay for the others.
    func leaseOnce(_ agent: AgentIdentity, _ request: LeaseRequest) async throws -> [LeasedJob] {
        var budget = LeaseBudget(request)
        let regions = context.router.regionIDs
        let start = context.dispatch.nextStart(of: regions.count)
        var leased: [LeasedJob] = []
        for offset in regions.indices where budget.remainingJobs > 0 {
            let region = regions[(start + offset) % regions.count]
            guard context.dispatch.mayHaveWork(in: region, for: agent.id, free: budget.free) else { continue }
            let generation = context.dispatch.signal.generation(of: region)
            let (jobs, remaining) = try await lease(agent, in: region, budget: budget)
            if jobs.isEmpty { context.dispatch.recordEmptyLook(in: region, for: agent.id, free: budget.free, generation: generation) }
            leased += jobs
            budget = remaining
        }
        if !leased.isEmpty {
            try await context.router.directory.withConnection { connection in
                try await connection.execute(
                    """
                    UPDATE agents SET free_cpu_millis = \(max(0, budget.free.cpuMillis)), free_memory_bytes = \(max(0, budget.free.memoryBytes)),
                        free_gpus = \(max(0, budget.free.gpus)), last_seen_at = now()
                    WHERE id = \(agent.id)
                    """
                )
            }
        }
        return leased
    }

    /// Leases from one cell in one transaction: gang assignments reserved for the agent, then queued jobs.
    private func lease(_ agent: AgentIdentity, in region: String, budget start: LeaseBudget) async throws -> ([LeasedJob], LeaseBudget) {
        let pool = try context.router.cell(for: region)
        return try await pool.withTransaction(settings: Self.leaseSettings) { connection in
            var budget = start
            var leased = context.dispatch.mayHaveGangAssignments(in: region)
                ? try await deliverGangAssignments(agent, region: region, budget: &budget, on: connection) : []
            guard budget.remainingJobs > 0 else { return (leased, budget) }
            let candidates = try await connection.query(
                """
                SELECT tenant_id, id, kind, spec, cpu_millis, memory_bytes, gpus, gpu_type, nodes, node_selector, timeout_seconds
                FROM jobs
                WHERE state = 'queued' AND cancel_requested_at IS NULL
                  AND allowed_regions @> ARRAY[\(agent.region)]::text[]
                  AND node_selector <@ \(try PostgresJSON(encoding: agent.labels))
                  AND cpu_millis <= \(budget.free.cpuMillis) AND memory_bytes <= \(budget.free.memoryBytes) AND gpus <= \(budget.free.gpus)
                  AND (\(agent.dedicatedTenantID?.rawValue)::uuid IS NULL OR tenant_id = \(agent.dedicatedTenantID?.rawValue))
                  AND (gpu_type IS NULL OR EXISTS (
                        SELECT 1 FROM unnest(\(agent.gpus.map(\.name))::text[]) AS g(name) WHERE strpos(lower(g.name), lower(gpu_type)) > 0))
                ORDER BY priority DESC, fair_seq, created_at
                LIMIT \(min(budget.remainingJobs * 2 + 2, 200))
                FOR UPDATE SKIP LOCKED
                """
            )
            var accepted: [AcceptedJob] = []
            for row in candidates where budget.remainingJobs > 0 {
                let resources = try JobRows.resources(row)
                guard budget.fits(resources) else { continue }
                let job = AcceptedJob(
                    tenantID: try row["tenant_id", as: UUID.self], jobID: try row["id", as: UUID.self], kind: try row["kind", as: String.self],
                    specJSON: try row["spec", as: String.self], resources: resources, timeoutSeconds: try row["timeout_seconds", as: Int.self],
                    gpuIndices: [], token: "", tokenHash: []
                )
                if resources.nodes > 1 {
                    if let gangJob = try await formGang(job, agent: agent, region: region, budget: &budget, on: connection) { leased.append(gangJob) }
                    continue
                }
                var taken = job
                taken.gpuIndices = budget.take(resources)
                (taken.token, taken.tokenHash) = JobTokens.make(region: region)
                accepted.append(taken)
            }
            leased += try await insertAttempts(accepted, agent: agent, region: region, on: connection)
            return (leased, budget)
        }
    }

    /// Moves the accepted jobs to leased and inserts their delivered attempts, in one statement.
    private nonisolated(nonsending) func insertAttempts(
        _ accepted: [AcceptedJob], agent: AgentIdentity, region: String, on connection: PostgresConnection
    ) async throws -> [LeasedJob] {
        guard !accepted.isEmpty else { return [] }
        let leaseSeconds = Double(context.configuration.leaseSeconds)
        let rows = try await connection.query(
            """
            WITH accepted AS (
                SELECT * FROM unnest(\(accepted.map(\.tenantID))::uuid[], \(accepted.map(\.jobID))::uuid[],
                                     \(accepted.map { Hex.encode($0.tokenHash) })::text[], \(accepted.map { Self.arrayLiteral($0.gpuIndices) })::text[])
                    AS a(tenant_id, id, token_hash, gpu_indices)
            ), leased AS (
                UPDATE jobs j SET state = 'leased', attempt = j.attempt + 1, lease_expires_at = now() + make_interval(secs => \(leaseSeconds)),
                    placement_note = '', updated_at = now()
                FROM accepted a WHERE j.tenant_id = a.tenant_id AND j.id = a.id
                RETURNING j.tenant_id, j.id, j.attempt, a.token_hash, a.gpu_indices
            )
            INSERT INTO job_attempts (tenant_id, job_id, attempt, node_rank, agent_id, agent_region, agent_address, gpu_indices, token_hash,
                                      state, delivered_at)
            SELECT tenant_id, id, attempt, 0, \(agent.id), \(agent.region), \(agent.address), gpu_indices::integer[], decode(token_hash, 'hex'),
                   'delivered', now()
            FROM leased
            RETURNING job_id, attempt, now() + make_interval(secs => \(leaseSeconds)) AS lease_expires_at
            """
        )
        let byID = Dictionary(accepted.map { ($0.jobID, $0) }, uniquingKeysWith: { first, _ in first })
        return try rows.compactMap { row in
            guard let job = byID[try row["job_id", as: UUID.self]] else { return nil }
            return makeLeasedJob(
                job, attempt: try row["attempt", as: Int.self], leaseExpiresAt: try row["lease_expires_at", as: Date.self], gang: nil
            )
        }
    }

    func makeLeasedJob(_ job: AcceptedJob, attempt: Int, leaseExpiresAt: Date, gang: GangAssignment?) -> LeasedJob {
        // FALAJ_API: the configured public URL; without one the agent sets the URL it reaches the server at.
        var environment = [
            "FALAJ_JOB_ID": job.jobID.uuidString.lowercased(), "FALAJ_ATTEMPT": String(attempt), "FALAJ_TENANT_ID": job.tenantID.uuidString.lowercased(),
        ]
        if let publicURL = context.configuration.publicURL { environment["FALAJ_API"] = publicURL }
        if let gang { environment.merge(gang.environment) { _, new in new } }
        return LeasedJob(
            jobID: job.jobID, tenantID: job.tenantID, attempt: attempt, kind: job.kind, specJSON: job.specJSON, resources: job.resources,
            gpuIndices: job.gpuIndices, token: job.token, leaseExpiresAt: leaseExpiresAt, timeoutSeconds: job.timeoutSeconds, gang: gang,
            environment: environment
        )
    }

    /// `{0,1}`: an integer array literal, cast to `integer[]` in SQL.
    static func arrayLiteral(_ values: [Int]) -> String { "{" + values.map(String.init).joined(separator: ",") + "}" }
}
