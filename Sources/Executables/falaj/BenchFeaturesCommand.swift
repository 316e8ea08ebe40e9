import ArgumentParser
import Foundation
import Platform

/// `falaj bench features`: the feature-store benchmark (BENCHMARKS.md). Starts the control plane in-process on an
/// embedded Postgres under a scratch data directory, with file blob stores and the online-cache listener, signs a tenant
/// up and makes an API key with `data.write` and `data.read`, and measures through the API on 127.0.0.1:
/// (1) online reads of 10 features for 1 entity (`POST /api/v1/features/online`), random entities of the pushed ones,
/// cache warm: p50/p99 on one keep-alive connection, one request at a time, then reads/s and p50/p99 with wrk over
/// `--connections` keep-alive connections (`bench/features-online.lua`);
/// (2) a point-in-time training set of `--entity-rows` entity rows joined with 3 feature groups, each with offline
/// history for `--history-entities` entities × `--history-events` event times (ingested from uploaded CSV datasets):
/// wall time, rows/s and the process's peak RSS during the build, then the whole result is downloaded and every row
/// compared with the value the generator says is the latest at or before the row's time.
/// Not a test: figures depend on the machine. Bounded in time by `--timeout-seconds` per request and `--wrk-seconds`.
struct BenchFeaturesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Benchmark the feature store: online reads (p50/p99 at 1 connection, reads/s at 64) and a point-in-time training set."
    )

    @Option(help: "Entities pushed to the online group (10 float features), at most 10,000 per push.") var onlineEntities = 10_000
    @Option(help: "Reads timed one after another on one keep-alive connection (after 200 untimed ones).") var sequentialReads = 5_000
    @Option(help: "wrk, for the concurrent online reads; skipped when it cannot be found.") var wrk = "/usr/bin/wrk"
    @Option(help: "The wrk script of the online reads.") var wrkScript = "bench/features-online.lua"
    @Option(help: "Seconds of each wrk run.") var wrkSeconds = 10
    @Option(help: "Keep-alive connections of the concurrent wrk run.") var connections = 64
    @Option(help: "Entities with offline history in each of the 3 training-set groups.") var historyEntities = 100_000
    @Option(help: "Event times per entity in each training-set group.") var historyEvents = 3
    @Option(help: "Rows of the entity dataset the training set is built from.") var entityRows = 1_000_000
    @Option(help: "Run only one part: online or training-set.") var only: String?
    @Option(help: "Scratch data directory (embedded Postgres, blob stores); removed first.") var dataDir = "/tmp/falaj-bench-features"
    @Option(help: "Limit for each request (uploads, ingestion, the training set, the download), in seconds.") var timeoutSeconds = 900

    func validate() throws {
        guard only == nil || only == "online" || only == "training-set" else { throw ValidationError("--only takes online or training-set") }
        guard (1...100_000_000).contains(onlineEntities), (1...100_000_000).contains(historyEntities), (1...100).contains(historyEvents),
            entityRows >= 1, sequentialReads >= 1, connections >= 1, wrkSeconds >= 1
        else { throw ValidationError("sizes must be positive (--history-events at most 100)") }
    }

    func run() async throws {
        let options = FeatureBenchmark.Options(
            onlineEntities: onlineEntities, sequentialReads: sequentialReads,
            wrk: FileManager.default.isExecutableFile(atPath: wrk) ? wrk : nil, wrkScript: wrkScript, wrkSeconds: wrkSeconds, connections: connections,
            data: TrainingSetData(historyEntities: historyEntities, events: historyEvents, entityRows: entityRows),
            runsOnline: only != "training-set", runsTrainingSet: only != "online", timeout: .seconds(timeoutSeconds)
        )
        try await BenchControlPlane.withFresh(dataDir: dataDir) { plane in
            let platform = PlatformServices(router: plane.router, blobs: plane.blobs, logger: plane.logger)
            try await plane.serve(try plane.portal(platform: platform), background: platform.backgroundServices) { server in
                FeatureBenchmark(server: server, tenancy: plane.tenancy, options: options)
            }
        }
    }
}
