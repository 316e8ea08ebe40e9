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
    /// Settings of the transactions that deliver or form gangs: the dispatch scope, and no sequential scans, so the
    /// plan Postgres keeps per connection for the attempt foreign-key check (made by whichever insert comes first) uses
    /// the id index even when it was made while the queue was nearly empty (see cell migration 0008).
    static let gangSettings = dispatchScope + [(name: "enable_seqscan", value: "off")]

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
            let jobs = try await lease(agent, in: region, budget: &budget)
            if jobs.isEmpty { context.dispatch.recordEmptyLook(in: region, for: agent.id, free: budget.free, generation: generation) }
            leased += jobs
        }
        if !leased.isEmpty, context.dispatch.mayRecordLeaseResources(of: agent.id) {
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

    /// Leases from one cell: `lease_queued_jobs` (cell migration 0008) walks the queue and leases single-node jobs in
    /// one statement; gang ranks reserved for the agent and gangs to form are handled here, each in a transaction of
    /// its own, and the walk goes on after them. At most ``maximumGangTriesPerLease`` gangs are tried per lease.
    private func lease(_ agent: AgentIdentity, in region: String, budget: inout LeaseBudget) async throws -> [LeasedJob] {
        let pool = try context.router.cell(for: region)
        var leased: [LeasedJob] = []
        var triedGangs: [UUID] = []
        var isLookingForAssignments = true
        while budget.remainingJobs > 0 {
            let (jobs, next) = try await walkQueue(agent, pool: pool, region: region, budget: &budget, skipping: triedGangs, isLookingForAssignments)
            leased += jobs
            switch next {
            case .done:
                return leased
            case .deliverAssignments:
                isLookingForAssignments = false
                let start = budget
                let (delivered, remaining) = try await pool.withTransaction(settings: Self.gangSettings) { connection in
                    var budget = start
                    return (try await deliverGangAssignments(agent, region: region, budget: &budget, on: connection), budget)
                }
                leased += delivered
                budget = remaining
            case .formGang(let job):
                triedGangs.append(job.jobID)
                guard triedGangs.count <= Self.maximumGangTriesPerLease else { return leased }
                guard context.dispatch.mayTryGang("\(job.jobID)/\(agent.id)") else { continue }
                let start = budget
                let (gang, remaining) = try await pool.withTransaction(settings: Self.gangSettings) { connection in
                    var budget = start
                    guard try await lockQueued(job, on: connection) else { return (nil as LeasedJob?, budget) }
                    return (try await formGang(job, agent: agent, region: region, budget: &budget, on: connection), budget)
                }
                if let gang { leased.append(gang) }
                budget = remaining
            }
        }
        return leased
    }

    /// The most multi-node jobs one lease tries to form a gang for (each try costs a directory query).
    static let maximumGangTriesPerLease = 8

    /// One call of `lease_queued_jobs`, in autocommit: the single-node jobs it leased (taken from `budget`) and what to
    /// do next.
    private func walkQueue(
        _ agent: AgentIdentity, pool: PostgresPool, region: String, budget: inout LeaseBudget, skipping triedGangs: [UUID], _ isLookingForAssignments: Bool
    ) async throws -> ([LeasedJob], LeaseStep) {
        let tokens = (0..<budget.remainingJobs).map { _ in JobTokens.make(region: region) }
        let free = budget.free
        let gpuIndices = Array(budget.gpuIndices.prefix(free.gpus))
        let rows = try await pool.withConnection { connection in
            try await connection.query(
                """
                SELECT * FROM lease_queued_jobs(
                    \(agent.id), \(agent.region), \(agent.address), \(try PostgresJSON(encoding: agent.labels)), \(agent.dedicatedTenantID?.rawValue),
                    \(agent.gpus.map(\.name))::text[], \(free.cpuMillis)::integer, \(free.memoryBytes), \(gpuIndices)::integer[],
                    \(tokens.count)::integer, \(Double(context.configuration.leaseSeconds)), \(tokens.map { Hex.encode($0.hash) })::text[],
                    \(triedGangs)::uuid[], \(isLookingForAssignments))
                """
            )
        }
        var leased: [(index: Int, job: LeasedJob)] = []
        var next = LeaseStep.done
        for row in rows {
            switch try row["outcome", as: String.self] {
            case "assignments":
                next = .deliverAssignments
            case "gang":
                next = .formGang(try Self.acceptedJob(row))
            default:
                var job = try Self.acceptedJob(row)
                _ = budget.take(job.resources)
                job.gpuIndices = try row["gpu_indices", as: [Int].self]
                let index = try row["token_index", as: Int.self]
                (job.token, job.tokenHash) = tokens[index - 1]
                let expiry = try row["lease_expires_at", as: Date.self]
                leased.append((index, makeLeasedJob(job, attempt: try row["attempt", as: Int.self], leaseExpiresAt: expiry, gang: nil)))
            }
        }
        return (leased.sorted { $0.index < $1.index }.map(\.job), next)  // in the order they were chosen
    }

    /// What a lease does after a `lease_queued_jobs` call.
    private enum LeaseStep {
        case done, deliverAssignments
        case formGang(AcceptedJob)
    }

    /// A job row of `lease_queued_jobs`, before its token and GPU indices are known.
    private static func acceptedJob(_ row: PostgresRow) throws -> AcceptedJob {
        AcceptedJob(
            tenantID: try row["tenant_id", as: UUID.self], jobID: try row["job_id", as: UUID.self], kind: try row["kind", as: String.self],
            specJSON: try row["spec", as: String.self], resources: try JobRows.resources(row), timeoutSeconds: try row["timeout_seconds", as: Int.self],
            gpuIndices: [], token: "", tokenHash: []
        )
    }

    /// Locks a queued multi-node job for gang forming; false when another agent holds it or it is no longer queued.
    private nonisolated(nonsending) func lockQueued(_ job: AcceptedJob, on connection: PostgresConnection) async throws -> Bool {
        try await !connection.query(
            """
            SELECT 1 FROM jobs WHERE tenant_id = \(job.tenantID) AND id = \(job.jobID) AND state = 'queued' AND cancel_requested_at IS NULL
            FOR UPDATE SKIP LOCKED
            """
        ).isEmpty
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
