import ArgumentParser
import ComputeAgents
import Foundation
import Platform

/// `falaj bench serving`: the model-serving benchmark (BENCHMARKS.md, "Model serving"). Starts the control plane
/// in-process on an embedded Postgres under a scratch data directory, trains a 100-tree boosted model in-process,
/// uploads it through the API, starts a real `falaj-agent` child process, deploys the model with one replica through
/// the API and waits for it to serve, then measures on 127.0.0.1, straight to the replica and through the gateway
/// (`POST /v1/predict/:deployment`, API key, quota, routing, prediction log) side by side:
/// (1) one keep-alive connection, one prediction at a time: p50/p99, every answer compared with the model's own
/// prediction for the row;
/// (2) wrk over `--connections` keep-alive connections paced to `--paced-rate` predictions a second in all: p50/p99
/// and the gateway's overhead (the p99 difference at the same offered load);
/// (3) wrk over the same connections as fast as answers come: predictions/s, p50/p99, machine CPU per prediction.
/// Not a test: figures depend on the machine. Bounded in time by `--wrk-seconds` and the readiness wait.
struct BenchServingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serving",
        abstract: "Benchmark model serving: predictions/s and p50/p99 through the gateway and straight to the replica."
    )

    @Option(help: "The falaj-agent executable (default: next to this falaj).") var agent: String?
    @Option(help: "wrk, for the concurrent runs; skipped when it cannot be found.") var wrk = "/usr/bin/wrk"
    @Option(help: "The wrk script of the predictions.") var wrkScript = "bench/serving-predict.lua"
    @Option(help: "Seconds of each wrk run.") var wrkSeconds = 10
    @Option(help: "Keep-alive connections of the wrk runs.") var connections = 64
    @Option(help: "Predictions a second offered in all by the paced runs.") var pacedRate = 1_000
    @Option(help: "Predictions timed one after another on one connection, each way (after 200 untimed ones).") var sequential = 2_000
    @Option(help: "Scratch data directory (embedded Postgres, blob stores, the agent's folder); removed first.") var dataDir = "/tmp/falaj-bench-serving"

    func validate() throws {
        guard wrkSeconds >= 1, connections >= 1, (1...1_000_000).contains(pacedRate), sequential >= 1 else {
            throw ValidationError("--wrk-seconds, --connections, --paced-rate and --sequential must be positive")
        }
        guard pacedRate <= connections * 1000 else { throw ValidationError("--paced-rate can be at most 1,000 a second per connection") }
    }

    func run() async throws {
        let agentBinary = agent ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("falaj-agent").path
        guard FileManager.default.isExecutableFile(atPath: agentBinary) else {
            throw ValidationError("no falaj-agent at \(agentBinary): build it (swift build -c release --product falaj-agent) or pass --agent")
        }
        let options = ServingBenchmark.Options(
            agentBinary: agentBinary, wrk: FileManager.default.isExecutableFile(atPath: wrk) ? wrk : nil, wrkScript: wrkScript, wrkSeconds: wrkSeconds,
            connections: connections, pacedRate: pacedRate, sequential: sequential, agentDirectory: dataDir + "/agent")
        try await BenchControlPlane.withFresh(dataDir: dataDir) { plane in
            let agents = ComputeAgentsServices(router: plane.router, blobs: plane.blobs, configuration: ComputeAgentsConfiguration(), logger: plane.logger)
            let platform = PlatformServices(router: plane.router, blobs: plane.blobs, logger: plane.logger)
            try await plane.serve(
                try plane.portal(computeAgents: agents, platform: platform), background: agents.backgroundServices + platform.backgroundServices + [platform.servingController(jobs: agents.jobs)]
            ) { server in
                ServingBenchmark(server: server, tenancy: plane.tenancy, agents: agents, options: options)
            }
        }
    }
}
