import AgentProtocol
import ArgumentParser
import ComputeAgents
import Foundation
import HTTPClient
import Logging
import Portal
import PostgresClient
import Residency
import ServiceLifecycle
import Tenancy
import WebServer

/// `falaj bench dispatch`: the job-dispatch benchmark (BENCHMARKS.md). Starts the control plane in-process on an
/// embedded Postgres under a scratch data directory, registers simulated agents over real HTTP, and measures
/// (1) dispatch latency: submit → the long-polling agent holds the lease, one job at a time, and
/// (2) sustained lease throughput: a pre-filled queue drained by every agent leasing as fast as it can.
/// Not a test: figures depend on the machine. Bounded in time by the job counts.
struct BenchDispatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dispatch",
        abstract: "Benchmark job dispatch: submit→lease latency (p50/p99) and lease throughput (jobs/s) with simulated agents."
    )

    @Option(help: "Simulated agents long-polling the lease endpoint.") var agents = 8
    @Option(help: "Jobs submitted one at a time for the latency figures.") var latencyJobs = 300
    @Option(help: "Jobs pre-queued for the throughput figure.") var throughputJobs = 20_000
    @Option(help: "Jobs one lease may hand out in the batched throughput run.") var batch = 16
    @Option(help: "Scratch data directory (embedded Postgres); removed first.") var dataDir = "/tmp/falaj-bench-dispatch"

    func run() async throws {
        var logger = Logger(label: "falaj.bench")
        logger.logLevel = .warning
        try? FileManager.default.removeItem(atPath: dataDir)
        var options = try DatabaseOptions.parse(["--data-dir", dataDir, "--log-level", "warning"])
        options.logLevelOption = "warning"
        let databases = try await ControlPlaneDatabases.open(options: options, logger: logger)
        do {
            let tenancy = try await databases.tenancyServices(dataDirectory: dataDir, environment: [:], logger: logger)
            let router = tenancy.environment.router
            let keys = TenantKeys(router: router, keyrings: router.regionIDs.map { RegionKeyring(region: $0, current: KeyEncryptionKey.generate()) })
            var stores: [String: any BlobStore] = [:]
            for region in router.regionIDs { stores[region] = FileBlobStore(root: URL(fileURLWithPath: dataDir + "/blobs/" + region)) }
            var configuration = ComputeAgentsConfiguration()
            configuration.leaseSeconds = 3600  // the simulated agents never finish their jobs
            configuration.lostAfterSeconds = 3600
            let agents = ComputeAgentsServices(router: router, blobs: TenantBlobs(keys: keys, stores: stores), configuration: configuration, logger: logger)
            let portal = PortalEnvironment(
                publicDirectory: try Bootstrap.locate("Public", option: nil), readiness: { [] }, metricsCollectors: [], regions: { [] },
                tenancy: tenancy, keys: keys, computeAgents: agents, logger: logger
            )
            var http = HTTPServerConfiguration()
            http.port = 0
            let server = try HTTPServer(configuration: http, responder: try await PortalRouter.make(environment: portal, metrics: HTTPMetrics()), logger: logger)
            let runner = DispatchBenchmark(
                server: server, tenancy: tenancy, agents: agents, agentCount: agents_(), latencyJobs: latencyJobs, throughputJobs: throughputJobs, batch: batch
            )
            let group = ServiceGroup(
                configuration: .init(
                    services: [
                        ServiceGroupConfiguration.ServiceConfiguration(service: server),
                        ServiceGroupConfiguration.ServiceConfiguration(service: runner, successTerminationBehavior: .gracefullyShutdownGroup),
                    ] + agents.backgroundServices.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                    logger: logger
                )
            )
            try await group.run()
        } catch {
            await databases.close()
            throw error
        }
        await databases.close()
    }

    private func agents_() -> Int { max(1, agents) }
}

/// The benchmark itself, run as a service next to the server so it ends the group when done.
struct DispatchBenchmark: Service {
    let server: HTTPServer
    let tenancy: TenancyServices
    let agents: ComputeAgentsServices
    let agentCount: Int
    let latencyJobs: Int
    let throughputJobs: Int
    let batch: Int

    func run() async throws {
        let base = "http://127.0.0.1:\(server.port)"
        let signUp = try await tenancy.signUp.signUp(
            SignUpForm(organisation: "Bench", region: "me-central-1", email: "bench@bench.falaj.test", password: "bench-" + UUID().uuidString, displayName: "Bench", plan: "enterprise")
        )
        guard let context = try await tenancy.authenticator.session(signUp.session, requestID: "bench", clientAddress: "127.0.0.1")?.context else {
            throw BootstrapError(message: "the bench tenant has no session")
        }
        let (token, _) = try await agents.joinTokens.create(
            JoinTokenRequest(region: "me-central-1", description: "bench", maxUses: agentCount, lifetimeSeconds: 3600),
            by: .platformOperator(id: UUID(), requestID: "bench", clientAddress: "127.0.0.1")
        )
        let client = HTTPClient(configuration: .init(timeout: .seconds(60), threadCount: agentCount + 2))
        var credentials: [String] = []
        for index in 0..<agentCount {
            let inventory = AgentInventory(
                hostname: "bench-\(index)", operatingSystem: "Linux", cpuModel: "simulated", cpuCores: 1024, memoryBytes: 1 << 40,
                diskBytes: 1 << 40, gpus: [], agentVersion: "bench"
            )
            let response: RegistrationResponse = try await client.agentJSON(base + AgentEndpoint.register, body: RegistrationRequest(joinToken: token, inventory: inventory), bearer: nil)
            credentials.append(response.credential.token)
        }
        let quota = JobQuota(maximumActiveJobs: 10_000_000, isGPUAllowed: true, maximumNodes: 64)
        let free = ResourceAmounts(cpuMillis: 1_024_000, memoryBytes: 1 << 40)
        let tiny = ResourceRequest(cpuMillis: 1, memoryBytes: 0)

        // 1. Latency: every agent long-polls; one job is submitted at a time; its latency ends when an agent has it.
        let arrivals = ArrivalBoard()
        let allCredentials = credentials
        let latencies = try await withThrowingTaskGroup(of: Void.self) { group in
            for credential in allCredentials {
                group.addTask {
                    while !Task.isCancelled {
                        let lease: LeaseResponse = try await client.agentJSON(
                            base + AgentEndpoint.lease, body: LeaseRequest(free: free, freeGPUIndices: [], maxJobs: 1, waitSeconds: 5), bearer: credential
                        )
                        for job in lease.jobs { await arrivals.arrived(job.jobID) }
                    }
                }
            }
            try await Task.sleep(for: .milliseconds(500))  // every agent is waiting
            var latencies: [Double] = []
            for _ in 0..<latencyJobs {
                let start = ContinuousClock.now
                let job = try await agents.jobs.submit(JobSubmission(kind: "bench.noop", resources: tiny), quota: quota, context: context)
                await arrivals.wait(for: job.id)
                latencies.append((ContinuousClock.now - start).milliseconds)
                try await Task.sleep(for: .milliseconds(20))  // the agent is idle and long-polling again
            }
            group.cancelAll()
            while let _ = try? await group.next() {}
            return latencies.sorted()
        }

        // 2. Throughput: a full queue, drained by all agents at once, first one job per lease, then `batch` per lease.
        var throughput: [(String, Double)] = []
        for perLease in [1, batch] {
            try await prefill(count: throughputJobs, context: context)
            let start = ContinuousClock.now
            // Every agent leases until the queue is empty (an empty answer alone does not prove it: the latency
            // phase's abandoned long-polls may still hold a few). Bounded by a deadline.
            let counter = LeaseCounter()
            let deadline = ContinuousClock.now + .seconds(300)
            let tenant = context.tenantID
            try await withThrowingTaskGroup(of: Void.self) { group in
                for credential in allCredentials {
                    group.addTask {
                        while ContinuousClock.now < deadline {
                            let lease: LeaseResponse = try await client.agentJSON(
                                base + AgentEndpoint.lease, body: LeaseRequest(free: free, freeGPUIndices: [], maxJobs: perLease, waitSeconds: 0), bearer: credential
                            )
                            await counter.add(lease.jobs.count)
                            if lease.jobs.isEmpty, try await queued(tenant) == 0 { return }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let leased = await counter.total
            let seconds = (ContinuousClock.now - start).milliseconds / 1000
            throughput.append(("\(perLease) job\(perLease == 1 ? "" : "s") per lease", Double(leased) / seconds))
        }

        func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int((Double(latencies.count) * p).rounded(.up)) - 1)] }
        print("| figure | value |")
        print("|---|---|")
        print(String(format: "| dispatch latency p50 (submit → agent holds the lease, %d agents idle, %d jobs) | %.1f ms |", agentCount, latencies.count, percentile(0.5)))
        print(String(format: "| dispatch latency p99 | %.1f ms |", percentile(0.99)))
        for (label, rate) in throughput {
            print(String(format: "| lease throughput, %d agents, %@ (%d queued jobs) | %.0f jobs/s |", agentCount, label, throughputJobs, rate))
        }
    }

    /// The bench tenant's queued jobs.
    private func queued(_ tenant: TenantID) async throws -> Int {
        try await tenancy.environment.router.withTenantTransaction(tenant) { connection in
            try await connection.query("SELECT count(*)::bigint AS n FROM jobs WHERE state = 'queued'")[0]["n", as: Int.self]
        }
    }

    /// Queues `count` tiny jobs for the bench tenant in one statement (the submission path is measured above).
    private func prefill(count: Int, context: RequestContext) async throws {
        try await tenancy.environment.router.withTenantTransaction(context.tenantID) { connection in
            try await connection.execute(
                """
                INSERT INTO jobs (tenant_id, id, kind, cpu_millis, memory_bytes, fair_seq, allowed_regions, submitted_by)
                SELECT \(context.tenantID.rawValue), gen_random_uuid(), 'bench.noop', 1, 0, n, ARRAY['me-central-1'], 'system'
                FROM generate_series(1, \(count)) AS n
                """
            )
            try await connection.execute("SELECT pg_notify('falaj_dispatch', '')")  // as a submission does
        }
    }
}

/// How many jobs the agents have leased so far, for the throughput loop.
actor LeaseCounter {
    private(set) var total = 0
    func add(_ count: Int) { total += count }
}

/// Which submitted jobs an agent has leased, for the latency loop.
actor ArrivalBoard {
    private var arrived: Set<UUID> = []
    private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]

    func arrived(_ id: UUID) {
        if let waiter = waiters.removeValue(forKey: id) { waiter.resume() } else { arrived.insert(id) }
    }

    func wait(for id: UUID) async {
        if arrived.remove(id) != nil { return }
        await withCheckedContinuation { waiters[id] = $0 }
    }
}

extension Duration {
    /// The duration in milliseconds.
    var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}

extension HTTPClient {
    /// POSTs `body` as JSON to an agent endpoint and decodes the answer; non-2xx throws with the server's detail.
    func agentJSON<Response: Decodable>(_ url: String, body: some Encodable, bearer: String?) async throws -> Response {
        var headers = [(name: "Content-Type", value: "application/json"), (name: AgentProtocol.versionHeader, value: String(AgentProtocol.version))]
        if let bearer { headers.append((name: "Authorization", value: "Bearer " + bearer)) }
        let response = try await execute(HTTPClientRequest(method: "POST", url: url, headers: headers, body: .bytes(Array(try AgentProtocol.encoder.encode(body)))))
        guard (200..<300).contains(response.status) else {
            throw BootstrapError(message: "\(url) answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
        return try AgentProtocol.decoder.decode(Response.self, from: Data(response.body))
    }
}
