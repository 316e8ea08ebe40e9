import AgentProtocol
import FalajCrypto
import Foundation
import PostgresClient
import Residency

extension Dispatcher {
    /// Hands the agent the gang ranks reserved for it in this cell (state assigned → delivered, with a fresh token and
    /// GPU indices from its free ones), as far as its free resources allow.
    nonisolated(nonsending) func deliverGangAssignments(
        _ agent: AgentIdentity, region: String, budget: inout LeaseBudget, on connection: PostgresConnection
    ) async throws -> [LeasedJob] {
        let rows = try await connection.query(
            """
            SELECT a.tenant_id, a.job_id, a.attempt, a.node_rank, a.world_size, a.master_address, a.master_port,
                   j.kind, j.spec, j.cpu_millis, j.memory_bytes, j.gpus, j.gpu_type, j.nodes, j.timeout_seconds
            FROM job_attempts a JOIN jobs j ON j.tenant_id = a.tenant_id AND j.id = a.job_id AND j.attempt = a.attempt
            WHERE a.agent_id = \(agent.id) AND a.state = 'assigned' AND j.state = 'leased' AND j.cancel_requested_at IS NULL
            ORDER BY a.assigned_at
            FOR UPDATE OF a
            """
        )
        var leased: [LeasedJob] = []
        for row in rows {
            let resources = try JobRows.resources(row)
            guard budget.fits(resources) else { continue }
            var job = AcceptedJob(
                tenantID: try row["tenant_id", as: UUID.self], jobID: try row["job_id", as: UUID.self], kind: try row["kind", as: String.self],
                specJSON: try row["spec", as: String.self], resources: resources, timeoutSeconds: try row["timeout_seconds", as: Int.self],
                gpuIndices: budget.take(resources), token: "", tokenHash: []
            )
            (job.token, job.tokenHash) = JobTokens.make(region: region)
            let attempt = try row["attempt", as: Int.self]
            let rank = try row["node_rank", as: Int.self]
            try await connection.execute(
                """
                UPDATE job_attempts SET state = 'delivered', delivered_at = now(), token_hash = \(job.tokenHash),
                    gpu_indices = \(job.gpuIndices), agent_address = \(agent.address)
                WHERE tenant_id = \(job.tenantID) AND job_id = \(job.jobID) AND attempt = \(attempt) AND node_rank = \(rank)
                """
            )
            let expiry = try await connection.query(
                """
                UPDATE jobs SET lease_expires_at = now() + make_interval(secs => \(Double(context.configuration.leaseSeconds)))
                WHERE tenant_id = \(job.tenantID) AND id = \(job.jobID) RETURNING lease_expires_at
                """
            )[0]["lease_expires_at", as: Date.self]
            let gang = GangAssignment(
                nodeRank: rank, worldSize: try row["world_size", as: Int.self],
                masterAddress: try row["master_address", as: String?.self] ?? "", masterPort: try row["master_port", as: Int?.self] ?? 0
            )
            leased.append(makeLeasedJob(job, attempt: attempt, leaseExpiresAt: expiry, gang: gang))
        }
        return leased
    }

    /// Tries to reserve a gang for a queued multi-node job (locked by the caller) with the leasing agent as rank 0: k − 1
    /// other agents of the same region that are ready, seen recently, have room, match labels and dedication and hold no
    /// reservation yet. All-or-nothing: when too few exist the job stays queued with a note saying so. The caller
    /// throttles tries (``DispatchShared/mayTryGang(_:interval:)``).
    nonisolated(nonsending) func formGang(
        _ job: AcceptedJob, agent: AgentIdentity, region: String, budget: inout LeaseBudget, on connection: PostgresConnection
    ) async throws -> LeasedJob? {
        let nodes = job.resources.nodes
        let members = try await gangCandidates(for: job, leader: agent, needed: nodes - 1, cell: region, on: connection)
        guard members.count >= nodes - 1 else {
            let found = members.count + 1
            let note = "Needs \(nodes) nodes; only \(found) suitable agent\(found == 1 ? "" : "s") in \(agent.region)"
            try await connection.execute(
                "UPDATE jobs SET placement_note = \(note), updated_at = now() WHERE tenant_id = \(job.tenantID) AND id = \(job.jobID) AND state = 'queued'"
            )
            return nil
        }
        var leader = job
        leader.gpuIndices = budget.take(job.resources)
        (leader.token, leader.tokenHash) = JobTokens.make(region: region)
        let port = Int.random(in: 29_500...30_499)
        let leaseSeconds = Double(context.configuration.leaseSeconds)
        let attempt = try await connection.query(
            """
            UPDATE jobs SET state = 'leased', attempt = attempt + 1, lease_expires_at = now() + make_interval(secs => \(leaseSeconds)),
                placement_note = '', updated_at = now()
            WHERE tenant_id = \(job.tenantID) AND id = \(job.jobID) RETURNING attempt, lease_expires_at
            """
        )[0]
        let number = try attempt["attempt", as: Int.self]
        let ranks = [(agent.id, agent.address)] + members.prefix(nodes - 1).map { ($0.id, $0.address) }
        let hashes = [leader.tokenHash] + (1..<nodes).map { _ in JobTokens.placeholderHash() }
        try await connection.execute(
            """
            INSERT INTO job_attempts (tenant_id, job_id, attempt, node_rank, agent_id, agent_region, agent_address, gpu_indices, token_hash,
                                      state, delivered_at, world_size, master_address, master_port)
            SELECT \(job.tenantID), \(job.jobID), \(number), r.rank - 1, r.agent_id, \(agent.region), r.address,
                   CASE WHEN r.rank = 1 THEN \(Self.arrayLiteral(leader.gpuIndices))::integer[] ELSE '{}' END, decode(r.token_hash, 'hex'),
                   CASE WHEN r.rank = 1 THEN 'delivered' ELSE 'assigned' END, CASE WHEN r.rank = 1 THEN now() END,
                   \(nodes), \(agent.address), \(port)
            FROM unnest(\(ranks.map(\.0))::uuid[], \(ranks.map(\.1))::text[], \(hashes.map { Hex.encode($0) })::text[])
                WITH ORDINALITY AS r(agent_id, address, token_hash, rank)
            """
        )
        // Wakes the other members' long-polls (delivered at commit, to every control-plane process listening).
        try await connection.execute("SELECT pg_notify(\(Self.channel), 'gang')")
        let gang = GangAssignment(nodeRank: 0, worldSize: nodes, masterAddress: agent.address, masterPort: port)
        return makeLeasedJob(leader, attempt: number, leaseExpiresAt: try attempt["lease_expires_at", as: Date.self], gang: gang)
    }

    /// Agents that could be the other members of `job`'s gang, best first.
    private nonisolated(nonsending) func gangCandidates(
        for job: AcceptedJob, leader: AgentIdentity, needed: Int, cell: String, on connection: PostgresConnection
    ) async throws -> [(id: UUID, address: String)] {
        let selector = try await connection.query("SELECT node_selector FROM jobs WHERE tenant_id = \(job.tenantID) AND id = \(job.jobID)")[0]
        let window = Double(max(2 * context.configuration.heartbeatIntervalSeconds, context.configuration.lostAfterSeconds))  // not yet lost
        let resources = job.resources
        let rows = try await context.router.directory.withConnection { directory in
            try await directory.query(
                """
                SELECT id, address, gpus FROM agents
                WHERE region_id = \(leader.region) AND status = 'ready' AND id <> \(leader.id)
                  AND last_seen_at > now() - make_interval(secs => \(window))
                  AND free_cpu_millis >= \(resources.cpuMillis) AND free_memory_bytes >= \(resources.memoryBytes) AND free_gpus >= \(resources.gpus)
                  AND labels @> \(try selector["node_selector", as: PostgresJSON.self])
                  AND (dedicated_tenant_id IS NULL OR dedicated_tenant_id = \(job.tenantID))
                ORDER BY last_seen_at DESC LIMIT 200
                """
            )
        }
        var candidates: [(id: UUID, address: String)] = []
        for row in rows {
            if let type = resources.gpuType?.lowercased() {
                let gpus = (try? row["gpus", as: PostgresJSON.self].decode([GPUDevice].self)) ?? []
                guard gpus.contains(where: { $0.name.lowercased().contains(type) }) else { continue }
            }
            candidates.append((try row["id", as: UUID.self], try row["address", as: String.self]))
        }
        guard candidates.count >= needed else { return candidates }
        let busy = try await agentsWithReservations(candidates.map(\.id), cell: cell, on: connection)
        return candidates.filter { !busy.contains($0.id) }
    }

    /// Which of `agents` hold a gang reservation not yet picked up, in any cell.
    private nonisolated(nonsending) func agentsWithReservations(_ agents: [UUID], cell: String, on connection: PostgresConnection) async throws -> Set<UUID> {
        let query: PostgresQuery = "SELECT DISTINCT agent_id FROM job_attempts WHERE state = 'assigned' AND agent_id = ANY(\(agents)::uuid[])"
        var busy = Set(try await connection.query(query).map { try $0["agent_id", as: UUID.self] })
        for region in context.router.regionIDs where region != cell {
            let rows = try await context.router.cell(for: region).withTransaction(settings: Self.dispatchScope) { try await $0.query(query) }
            busy.formUnion(try rows.map { try $0["agent_id", as: UUID.self] })
        }
        return busy
    }

    /// See ``gangStatus(_:)``: polls up to about five seconds while members are missing.
    func waitForGang(_ scope: JobTokenScope) async throws -> GangStatus {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(5)
        while true {
            let status = try await context.router.withTenantTransaction(scope.tenantID) { connection -> GangStatus in
                guard let job = try await connection.query("SELECT state, attempt, cancel_requested_at IS NOT NULL AS cancelled FROM jobs WHERE id = \(scope.jobID)").first
                else { throw ComputeAgentsError.notFound("There is no such job") }
                let states = try await connection.query("SELECT state FROM job_attempts WHERE job_id = \(scope.jobID) AND attempt = \(scope.attempt)")
                    .map { try $0["state", as: String.self] }
                if try job["attempt", as: Int.self] != scope.attempt || states.contains("released") || !["leased", "running"].contains(try job["state", as: String.self]) {
                    return GangStatus(state: .abort, reason: "The gang was released; the job is queued again")
                }
                if try job["cancelled", as: Bool.self] { return GangStatus(state: .abort, reason: "The job was cancelled") }
                if states.allSatisfy({ $0 != "assigned" }) { return GangStatus(state: .start) }
                return GangStatus(state: .wait)
            }
            if status.state != .wait || clock.now >= deadline { return status }
            try await Task.sleep(for: .milliseconds(250))
        }
    }
}
