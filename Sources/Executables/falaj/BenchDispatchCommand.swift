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
/// (1) dispatch latency: submit → the long-polling agent holds the lease, one job at a time;
/// (2) sustained lease throughput: a pre-filled queue drained by every agent leasing as fast as it can with Falaj's
/// own agent client in this process, 1, 4 and `--batch` jobs per lease; and
/// (3) the same with lean agents (wrk and `bench/dispatch-agents.lua`), which leave more of the machine to the server.
/// Not a test: figures depend on the machine. Bounded in time by the job counts and `--wrk-seconds`.
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
    @Option(help: "wrk, for the lean-agent throughput runs; skipped when it cannot be found.") var wrk = "/usr/bin/wrk"
    @Option(help: "The wrk script of the lean agents.") var wrkScript = "bench/dispatch-agents.lua"
    @Option(help: "Seconds each lean-agent run leases.") var wrkSeconds = 10
    @Option(help: "Jobs pre-queued for each lean-agent run (enough that the queue never runs dry).") var wrkJobs = 60_000

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
                server: server, tenancy: tenancy, agents: agents, agentCount: agents_(), latencyJobs: latencyJobs, throughputJobs: throughputJobs, batch: batch,
                wrkRun: FileManager.default.isExecutableFile(atPath: wrk) ? WrkLeaseRun(wrk: wrk, script: wrkScript, seconds: wrkSeconds) : nil,
                wrkJobs: wrkJobs
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
