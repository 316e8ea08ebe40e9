import AgentProtocol
import ComputeAgents
import Foundation
import HTTPClient
import ServiceLifecycle
import Tenancy
import WebServer

/// The benchmark itself, run as a service next to the server so it ends the group when done. Prints one Markdown table.
struct DispatchBenchmark: Service {
    let server: HTTPServer
    let tenancy: TenancyServices
    let agents: ComputeAgentsServices
    let agentCount: Int
    let latencyJobs: Int
    let throughputJobs: Int
    let batch: Int
    /// The lean-agent runs, or nil when wrk is missing.
    let wrkRun: WrkLeaseRun?
    let wrkJobs: Int

    /// Everything a phase needs: where the server is, the bench tenant and its registered agents.
    struct Setting {
        let base: String
        let context: RequestContext
        let client: HTTPClient
        let credentials: [String]
    }

    /// What each agent reports free: far more than the tiny bench jobs need, so only `maxJobs` bounds a lease.
    static let free = ResourceAmounts(cpuMillis: 1_024_000, memoryBytes: 1 << 40)

    func run() async throws {
        let setting = try await prepare()
        let latencies = try await measureLatency(setting)
        var rows: [(String, String)] = []
        func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int((Double(latencies.count) * p).rounded(.up)) - 1)] }
        rows.append((
            "dispatch latency p50 (submit → agent holds the lease, \(agentCount) agents idle, \(latencies.count) jobs)", String(format: "%.1f ms", percentile(0.5))
        ))
        rows.append(("dispatch latency p99", String(format: "%.1f ms", percentile(0.99))))
        for perLease in [1, 4, batch] {
            let run = try await measureThroughput(setting, perLease: perLease)
            rows.append(("lease throughput, \(agentCount) agents, \(Self.jobs(perLease)) per lease (\(throughputJobs) queued jobs)", String(format: "%.0f jobs/s", run.rate)))
            rows.append(("machine CPU per leased job, \(agentCount) agents, \(Self.jobs(perLease)) per lease", String(format: "%.3f ms", run.cpu)))
        }
        if let wrkRun {
            for perLease in [1, 4, batch] {
                let run = try await measureLeanThroughput(setting, wrkRun: wrkRun, perLease: perLease)
                rows.append(("lease throughput, \(agentCount) lean agents (wrk), \(Self.jobs(perLease)) per lease", String(format: "%.0f jobs/s", run.rate)))
                rows.append(("machine CPU per leased job, \(agentCount) lean agents, \(Self.jobs(perLease)) per lease", String(format: "%.3f ms", run.cpu)))
            }
        } else {
            print("(wrk not found: no lean-agent figures)")
        }
        print("| figure | value |")
        print("|---|---|")
        for (figure, value) in rows { print("| \(figure) | \(value) |") }
    }

    /// Signs the bench tenant up and registers the agents over HTTP with a join token.
    private func prepare() async throws -> Setting {
        let context = try await BenchTenant.signUp(tenancy)
        let (token, _) = try await agents.joinTokens.create(
            JoinTokenRequest(region: "me-central-1", description: "bench", maxUses: agentCount, lifetimeSeconds: 3600),
            by: .platformOperator(id: UUID(), requestID: "bench", clientAddress: "127.0.0.1")
        )
        let base = "http://127.0.0.1:\(server.port)"
        let client = HTTPClient(configuration: .init(timeout: .seconds(60), threadCount: agentCount + 2))
        var credentials: [String] = []
        for index in 0..<agentCount {
            let inventory = AgentInventory(
                hostname: "bench-\(index)", operatingSystem: "Linux", cpuModel: "simulated", cpuCores: 1024, memoryBytes: 1 << 40,
                diskBytes: 1 << 40, gpus: [], agentVersion: "bench"
            )
            let response: RegistrationResponse = try await client.agentJSON(
                base + AgentEndpoint.register, body: RegistrationRequest(joinToken: token, inventory: inventory), bearer: nil
            )
            credentials.append(response.credential.token)
        }
        return Setting(base: base, context: context, client: client, credentials: credentials)
    }

    /// Every agent long-polls; one job is submitted at a time (the real submission path); its latency ends when an
    /// agent's lease answer holding it has arrived. Returns the latencies in milliseconds, sorted.
    private func measureLatency(_ setting: Setting) async throws -> [Double] {
        let arrivals = ArrivalBoard()
        let quota = JobQuota(maximumActiveJobs: 10_000_000, isGPUAllowed: true, maximumNodes: 64)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for credential in setting.credentials {
                group.addTask {
                    while !Task.isCancelled {
                        let lease: LeaseResponse = try await setting.client.agentJSON(
                            setting.base + AgentEndpoint.lease, body: LeaseRequest(free: Self.free, freeGPUIndices: [], maxJobs: 1, waitSeconds: 5),
                            bearer: credential
                        )
                        for job in lease.jobs { await arrivals.arrived(job.jobID) }
                    }
                }
            }
            try await Task.sleep(for: .milliseconds(500))  // every agent is waiting
            var latencies: [Double] = []
            for _ in 0..<latencyJobs {
                let start = ContinuousClock.now
                let job = try await agents.jobs.submit(
                    JobSubmission(kind: "bench.noop", resources: ResourceRequest(cpuMillis: 1, memoryBytes: 0)), quota: quota, context: setting.context
                )
                await arrivals.wait(for: job.id)
                latencies.append((ContinuousClock.now - start).milliseconds)
                try await Task.sleep(for: .milliseconds(20))  // the agent is idle and long-polling again
            }
            group.cancelAll()
            while let _ = try? await group.next() {}
            return latencies.sorted()
        }
    }

    /// A pre-filled queue drained by all agents at once, each with Falaj's own agent client (libcurl, Foundation JSON)
    /// in this process, asking for `perLease` jobs per lease. Returns jobs per second and the machine's CPU per job.
    private func measureThroughput(_ setting: Setting, perLease: Int) async throws -> (rate: Double, cpu: Double) {
        try await prefill(count: throughputJobs, context: setting.context)
        let before = try await attempts(setting.context.tenantID)
        let busy = MachineCPU.busyMilliseconds()
        let start = ContinuousClock.now
        // Every agent leases until the queue is empty (an empty answer alone does not prove it: the latency phase's
        // abandoned long-polls may still hold a few). Bounded by a deadline.
        let counter = LeaseCounter()
        let deadline = ContinuousClock.now + .seconds(300)
        let tenant = setting.context.tenantID
        try await withThrowingTaskGroup(of: Void.self) { group in
            for credential in setting.credentials {
                group.addTask {
                    while ContinuousClock.now < deadline {
                        let lease: LeaseResponse = try await setting.client.agentJSON(
                            setting.base + AgentEndpoint.lease, body: LeaseRequest(free: Self.free, freeGPUIndices: [], maxJobs: perLease, waitSeconds: 0),
                            bearer: credential
                        )
                        await counter.add(lease.jobs.count)
                        if lease.jobs.isEmpty, try await queued(tenant) == 0 { return }
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = (ContinuousClock.now - start).milliseconds / 1000
        let cpu = MachineCPU.busyMilliseconds() - busy
        let leased = await counter.total
        let after = try await attempts(setting.context.tenantID)
        // The latency phase's abandoned long-polls may lease a job nobody reads: at most one per agent.
        guard (0...setting.credentials.count).contains(after.count - before.count - leased), after.count == after.jobs else {
            throw BootstrapError(message: "agents counted \(leased) leased jobs; attempts went \(before) → \(after)")
        }
        return (Double(leased) / seconds, cpu / Double(max(leased, 1)))
    }

    /// The same agents as wrk connections (`bench/dispatch-agents.lua`) on a queue that never runs dry, for
    /// `WrkLeaseRun.seconds`. Checks that every job counted was leased exactly once.
    private func measureLeanThroughput(_ setting: Setting, wrkRun: WrkLeaseRun, perLease: Int) async throws -> (rate: Double, cpu: Double) {
        try await prefill(count: wrkJobs, context: setting.context)
        let before = try await attempts(setting.context.tenantID)
        let outcome = try await wrkRun.run(url: setting.base + AgentEndpoint.lease, credentials: setting.credentials, maxJobs: perLease)
        let after = try await attempts(setting.context.tenantID)
        // Leases still in flight when wrk stops reach the database but not the script: at most one per connection.
        let unseen = after.count - before.count - outcome.leased
        guard outcome.errors == 0, (0...setting.credentials.count * perLease).contains(unseen), after.count == after.jobs else {
            throw BootstrapError(message: "lean agents: \(outcome); attempts went \(before) → \(after)")
        }
        guard try await queued(setting.context.tenantID) > 0 else { throw BootstrapError(message: "the queue ran dry; raise --wrk-jobs") }
        return (Double(outcome.leased) / outcome.seconds, outcome.busyMilliseconds / Double(max(outcome.leased, 1)))
    }

    private static func jobs(_ count: Int) -> String { "\(count) job\(count == 1 ? "" : "s")" }
}
