import AgentProtocol
import ComputeAgents
import FalajCrypto
import Foundation
import PostgresClient
import Residency
import Tenancy
import TestSupport
import Testing

/// The issue's end-to-end scenarios: the portal on a real socket with its dispatch and reaper services, and real
/// `falaj-agent` processes in two regions on this machine. Timings are bounded waits, never assertions.
@Suite(.serialized) struct AgentEndToEndTests {
    @Test func aUAEJobRunsOnlyOnTheUAEAgentAndItsLogAndA100MBArtifactArriveIntact() async throws {
        try await AgentCluster.with { cluster in
            let europe = try await cluster.agent(region: "eu-west-1")
            let uae = try await cluster.agent(region: "me-central-1")
            let job = try await cluster.submit(
                #"echo start; head -c 100000000 /dev/urandom > "$FALAJ_OUTPUT_DIR/big.bin"; sha256sum "$FALAJ_OUTPUT_DIR/big.bin"; echo done"#
            )
            let detail = try await cluster.waitFor(job) { $0.summary.state.isFinal }
            #expect(detail.summary.state == .succeeded, "\(detail.summary.message) \(uae.log)")
            #expect(!detail.attempts.isEmpty && detail.attempts.allSatisfy { $0.agentID == uae.id && $0.agentRegion == "me-central-1" })
            #expect(!detail.attempts.contains { $0.agentID == europe.id })
            let log = try await cluster.log(job)
            #expect(log.contains("start") && log.contains("done"), "\(log)")
            let artifact = try #require(detail.artifacts.first { $0.path == "big.bin" })
            #expect(artifact.sizeBytes == 100_000_000)
            #expect(log.contains(artifact.sha256), "the digest the job computed is the one the server verified")
            let hasher = DigestBox()
            let size = try await cluster.server.computeAgents.jobs.readArtifact(job, path: "big.bin", context: cluster.owner) { hasher.update($0) }
            #expect(size == 100_000_000)
            #expect(Hex.encode(hasher.finish()) == artifact.sha256, "the bytes read back are the bytes the job wrote")
        }
    }

    @Test func aGPUJobWaitsWithAnExplanationWhenNoAgentHasAGPU() async throws {
        try await AgentCluster.with { cluster in
            let uae = try await cluster.agent(region: "me-central-1")
            let job = try await cluster.submit("nvidia-smi", resources: ResourceRequest(cpuMillis: 500, memoryBytes: 64 << 20, gpus: 1))
            let detail = try await cluster.waitFor(job) { !$0.summary.placementNote.isEmpty }
            #expect(detail.summary.state == .queued)
            #expect(detail.summary.placementNote.contains("GPU"), "\(detail.summary.placementNote) \(uae.log)")
            #expect(detail.attempts.isEmpty)
        }
    }

    @Test func killingAnAgentMidJobRequeuesTheJobOnTheOtherUAEAgent() async throws {
        try await AgentCluster.with { cluster in
            let first = try await cluster.agent(region: "me-central-1")
            let second = try await cluster.agent(region: "me-central-1")
            let job = try await cluster.submit(#"echo "attempt $FALAJ_ATTEMPT"; sleep 6; echo finished"#, maxAttempts: 3)
            let running = try await cluster.waitFor(job) { $0.summary.state == .running }
            let victimID = try #require(running.attempts.last?.agentID)
            let (victim, survivor) = victimID == first.id ? (first, second) : (second, first)
            victim.process.killHard()
            let detail = try await cluster.waitFor(job, timeout: .seconds(120)) { $0.summary.state.isFinal }
            #expect(detail.summary.state == .succeeded, "\(detail.summary.message) \(survivor.log)")
            #expect(detail.summary.attempt >= 2)
            let last = try #require(detail.attempts.max { $0.attempt < $1.attempt })
            #expect(last.agentID == survivor.id && last.state == "succeeded")
            #expect(detail.attempts.contains { $0.agentID == victim.id && $0.state == "released" })
        }
    }

    @Test func cancellingARunningJobKillsItsWholeProcessTree() async throws {
        try await AgentCluster.with { cluster in
            let agent = try await cluster.agent(region: "me-central-1")
            let job = try await cluster.submit(#"sleep 300 & first=$!; sleep 300 & echo "pids $$ $first $!"; wait"#)
            var pids: [Int32] = []
            let deadline = ContinuousClock.now + .seconds(60)
            while pids.isEmpty && ContinuousClock.now < deadline {
                let log = try await cluster.log(job)
                if let line = log.split(separator: "\n").first(where: { $0.hasPrefix("pids ") }) {
                    pids = line.split(separator: " ").dropFirst().compactMap { Int32($0) }
                } else {
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            let seen = try await cluster.log(job)
            let state = try await cluster.server.computeAgents.jobs.detail(job, context: cluster.owner)
            #expect(pids.count == 3, "\(seen) \(state) \(agent.log)")
            #expect(pids.allSatisfy { kill($0, 0) == 0 }, "the tree runs before the cancel")
            _ = try await cluster.server.computeAgents.jobs.cancel(job, context: cluster.owner)
            let detail = try await cluster.waitFor(job) { $0.summary.state.isFinal }
            #expect(detail.summary.state == .cancelled)
            let gone = ContinuousClock.now + .seconds(20)
            while pids.contains(where: { kill($0, 0) == 0 }) && ContinuousClock.now < gone { try await Task.sleep(for: .milliseconds(100)) }
            #expect(pids.allSatisfy { kill($0, 0) == -1 && errno == ESRCH }, "no process of the job survives")
        }
    }

    @Test func aTwoNodeGangStartsBothMembersWithTheRendezvousVariablesOrNeither() async throws {
        try await AgentCluster.with { cluster in
            let first = try await cluster.agent(region: "me-central-1")
            let second = try await cluster.agent(region: "me-central-1")
            try await Task.sleep(for: .seconds(2))  // both have heartbeated, so each is a known free gang member
            let job = try await cluster.submit(
                #"echo "rank=$NODE_RANK world=$WORLD_SIZE master=$MASTER_ADDR:$MASTER_PORT""#, resources: ResourceRequest(cpuMillis: 500, memoryBytes: 64 << 20, nodes: 2)
            )
            let detail = try await cluster.waitFor(job, timeout: .seconds(120)) { $0.summary.state.isFinal }
            #expect(detail.summary.state == .succeeded, "\(detail) \(first.log) \(second.log)")
            let chunks = try await cluster.server.computeAgents.jobs.logs(job, after: nil, limit: 1000, context: cluster.owner)
            let byRank = Dictionary(grouping: chunks, by: \.nodeRank).mapValues { String(decoding: $0.flatMap(\.data), as: UTF8.self) }
            let master = try #require(byRank[0]?.split(separator: " ").last.map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) })
            #expect(master.hasPrefix("master=") && master.count > "master=:".count, "\(byRank)")
            #expect(byRank[0]?.contains("rank=0 world=2 \(master)") == true, "\(byRank)")
            #expect(byRank[1]?.contains("rank=1 world=2 \(master)") == true, "\(byRank)")
            #expect(Set(detail.attempts.map(\.agentID)).count == 2, "the members ran on two agents")

            // Three nodes with two agents: nobody starts; the job says why.
            let tooBig = try await cluster.submit("true", resources: ResourceRequest(cpuMillis: 500, memoryBytes: 64 << 20, nodes: 3))
            let waiting = try await cluster.waitFor(tooBig) { !$0.summary.placementNote.isEmpty }
            #expect(waiting.summary.state == .queued, "\(waiting.summary.placementNote)")
            #expect(!waiting.attempts.contains { ["delivered", "started", "succeeded", "failed"].contains($0.state) })
        }
    }
}

/// One portal server with fast heartbeats, a UAE tenant (enterprise plan), and the agents a test starts.
struct AgentCluster {
    let server: PortalTestServer
    let owner: RequestContext

    /// A running agent and the id it registered as.
    struct Agent {
        let process: AgentProcess
        let id: UUID
        var log: String { process.log }
    }

    static func with(_ body: (AgentCluster) async throws -> Void) async throws {
        var configuration = ComputeAgentsConfiguration()
        configuration.heartbeatIntervalSeconds = 1
        configuration.lostAfterSeconds = 4
        configuration.leaseSeconds = 4
        configuration.reaperIntervalSeconds = 1
        configuration.gangTimeoutSeconds = 20
        try await PortalTestServer.with(agents: configuration) { server in
            let signUp = try await server.tenancy.signUp.signUp(
                SignUpForm(organisation: "Gulf Analytics", region: "me-central-1", email: "owner@gulf.example", password: APIFixtures.password, plan: "enterprise")
            )
            let owner = try #require(try await server.tenancy.authenticator.session(signUp.session, requestID: "e2e", clientAddress: "127.0.0.1")?.context)
            try await body(AgentCluster(server: server, owner: owner))
        }
    }

    /// Starts a real `falaj-agent` enrolled in `region` and waits until it has registered.
    func agent(region: String) async throws -> Agent {
        let (token, _) = try await server.computeAgents.joinTokens.create(
            JoinTokenRequest(region: region, description: "e2e", maxUses: 1, lifetimeSeconds: 600),
            by: .platformOperator(id: UUID(), requestID: "e2e", clientAddress: "127.0.0.1")
        )
        let process = try AgentProcess(server: "http://127.0.0.1:\(server.port)", joinToken: token, arguments: ["--cpus", "2", "--memory", "4G"])
        try await process.waitForOutput("registered as agent ")
        let line = try #require(process.log.split(separator: "\n").first { $0.contains("registered as agent ") })
        let id = try #require(line.split(separator: " ").dropFirst(3).first.flatMap { UUID(uuidString: String($0)) })
        return Agent(process: process, id: id)
    }

    /// Submits a `train.command` job running `script` under `sh -c`.
    func submit(_ script: String, resources: ResourceRequest = ResourceRequest(cpuMillis: 500, memoryBytes: 256 << 20), maxAttempts: Int = 3) async throws -> UUID {
        let spec = String(decoding: try JSONEncoder().encode(CommandJobSpec(command: ["sh", "-c", script])), as: UTF8.self)
        let quota = JobQuota(maximumActiveJobs: 100, isGPUAllowed: true, maximumNodes: 8)
        let job = try await server.computeAgents.jobs.submit(
            JobSubmission(kind: "train.command", name: "e2e", specJSON: spec, resources: resources, maxAttempts: maxAttempts, timeoutSeconds: 600), quota: quota,
            context: owner
        )
        return job.id
    }

    /// Polls the job until `condition` holds (bounded).
    func waitFor(_ job: UUID, timeout: Duration = .seconds(90), _ condition: (JobDetail) -> Bool) async throws -> JobDetail {
        let deadline = ContinuousClock.now + timeout
        var detail = try await server.computeAgents.jobs.detail(job, context: owner)
        while !condition(detail) {
            guard ContinuousClock.now < deadline else {
                Issue.record("job \(job) never reached the awaited state; last: \(detail.summary.state) \(detail.summary.placementNote) \(detail.summary.message)")
                return detail
            }
            try await Task.sleep(for: .milliseconds(200))
            detail = try await server.computeAgents.jobs.detail(job, context: owner)
        }
        return detail
    }

    /// The owner's audit events whose action matches the SQL `LIKE` pattern, in order, as "<action> by <actor kind>".
    func audited(_ pattern: String) async throws -> [String] {
        try await server.environment.router.withTenantTransaction(owner.tenantID) { connection in
            try await connection.query("SELECT action, actor_kind FROM audit_events WHERE action LIKE \(pattern) ORDER BY sequence").map {
                "\(try $0["action", as: String.self]) by \(try $0["actor_kind", as: String.self])"
            }
        }
    }

    /// The job's whole log text so far.
    func log(_ job: UUID) async throws -> String {
        let chunks = try await server.computeAgents.jobs.logs(job, after: nil, limit: 10_000, context: owner)
        return String(decoding: chunks.flatMap(\.data), as: UTF8.self)
    }
}

/// An incremental SHA-256 fed from a `@Sendable` sink.
final class DigestBox: @unchecked Sendable {
    // @unchecked Sendable: the sink is called sequentially by one reader.
    private let hasher = SHA256.Hasher()
    func update(_ bytes: [UInt8]) { hasher.update(bytes) }
    func finish() -> [UInt8] { hasher.finalize() }
}
