import ArgumentParser
import Foundation
import Platform

/// `falaj bench ingest`: the dataset-ingestion benchmark (BENCHMARKS.md). Starts the control plane in-process on an
/// embedded Postgres under a scratch data directory, with file blob stores, signs a tenant up and makes an API key with
/// `data.write` and `data.read`, creates a project and a dataset through the API, then uploads a generated CSV of
/// `--rows` rows and 20 columns over a real HTTP connection on 127.0.0.1, generated while it is sent (``GeneratedCSV``).
/// Reports the upload's wall time, rows/s, MB/s, the process's peak RSS and the machine's CPU per 1,000 rows, and checks
/// the answer (every row accepted) and the stored file (its download hashes to the SHA-256 the version reports).
/// Not a test: figures depend on the machine. Bounded in time by `--timeout-seconds`.
struct BenchIngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Benchmark dataset ingestion: a streamed CSV upload through the API (rows/s, MB/s, peak RSS, CPU per row)."
    )

    @Option(help: "Rows of the generated CSV (20 columns).") var rows = 1_000_000
    @Option(help: "Scratch data directory (embedded Postgres, blob stores); removed first.") var dataDir = "/tmp/falaj-bench-ingest"
    @Option(help: "Limit for the upload and for the download, each, in seconds.") var timeoutSeconds = 600
    @Option(help: "Also write the upload's answer (the version's JSON: schema, counts, statistics, preview) to this file.") var answer: String?

    func run() async throws {
        try await BenchControlPlane.withFresh(dataDir: dataDir) { plane in
            let platform = PlatformServices(router: plane.router, blobs: plane.blobs, logger: plane.logger)
            try await plane.serve(try plane.portal(platform: platform)) { server in
                IngestBenchmark(
                    server: server, tenancy: plane.tenancy, rows: max(1, rows), timeout: .seconds(max(1, timeoutSeconds)), answerFile: answer
                )
            }
        }
    }
}
