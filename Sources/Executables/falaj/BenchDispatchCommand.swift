import ArgumentParser
import ComputeAgents
import Foundation

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
        try await BenchControlPlane.withFresh(dataDir: dataDir) { plane in
            var configuration = ComputeAgentsConfiguration()
            configuration.leaseSeconds = 3600  // the simulated agents never finish their jobs
            configuration.lostAfterSeconds = 3600
            let agents = ComputeAgentsServices(router: plane.router, blobs: plane.blobs, configuration: configuration, logger: plane.logger)
            try await plane.serve(try plane.portal(computeAgents: agents), background: agents.backgroundServices) { server in
                DispatchBenchmark(
                    server: server, tenancy: plane.tenancy, agents: agents, agentCount: agents_(), latencyJobs: latencyJobs, throughputJobs: throughputJobs,
                    batch: batch, wrkRun: FileManager.default.isExecutableFile(atPath: wrk) ? WrkLeaseRun(wrk: wrk, script: wrkScript, seconds: wrkSeconds) : nil,
                    wrkJobs: wrkJobs
                )
            }
        }
    }

    private func agents_() -> Int { max(1, agents) }
}
