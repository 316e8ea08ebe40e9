import FalajCrypto
import Foundation
import HTTPClient
import ServiceLifecycle
import Tenancy
import WebServer

/// The ingestion benchmark itself, run as a service next to the server so it ends the group when done. Prints one
/// Markdown table; throws when the upload was not stored whole (rows missing or rejected, a download that does not
/// hash to the version's SHA-256).
struct IngestBenchmark: Service {
    let server: HTTPServer
    let tenancy: TenancyServices
    let rows: Int
    /// Limit for the upload and for the download, each.
    let timeout: Duration
    /// Where to write the upload's answer as it came, if anywhere (to compare builds).
    let answerFile: String?

    /// Where the server is, the API key, and the bench dataset's versions.
    struct Setting {
        let api: BenchAPI
        var versions: String { "/api/v1/projects/bench/datasets/customers/versions" }
    }

    /// The parts of the upload's answer the bench checks.
    struct UploadAnswer: Decodable {
        struct Column: Decodable {
            var name: String
            var type: String
        }

        struct Version: Decodable {
            var version: Int
            var columns: [Column]
            var rowCount: Int
            var rejectedCount: Int
            var uploadedBytes: Int
            var sizeBytes: Int
            var sha256: String
        }

        var version: Version
    }

    func run() async throws {
        let setting = try await prepare()
        let rssBefore = ProcessFigures.statusKiB("VmRSS")
        let machineBefore = MachineCPU.busyMilliseconds()
        let processBefore = ProcessFigures.cpuMilliseconds()
        let start = ContinuousClock.now
        let answer = try await upload(setting)
        let seconds = (ContinuousClock.now - start).milliseconds / 1000
        let machineCPU = MachineCPU.busyMilliseconds() - machineBefore
        let processCPU = ProcessFigures.cpuMilliseconds() - processBefore
        let peak = ProcessFigures.statusKiB("VmHWM")
        guard answer.version.rowCount == rows, answer.version.rejectedCount == 0 else {
            throw BootstrapError(message: "the upload stored \(answer.version.rowCount) rows and rejected \(answer.version.rejectedCount); expected \(rows) and 0")
        }
        let downloadStart = ContinuousClock.now
        let download = try await self.download(setting, version: answer.version.version)
        let downloadSeconds = (ContinuousClock.now - downloadStart).milliseconds / 1000
        guard download.sha256 == answer.version.sha256, download.bytes == answer.version.sizeBytes, download.lines == rows + 1 else {
            throw BootstrapError(
                message: "the download (\(download.bytes) bytes, \(download.lines) lines, SHA-256 \(download.sha256)) is not the stored version "
                    + "(\(answer.version.sizeBytes) bytes, \(rows + 1) lines, SHA-256 \(answer.version.sha256))"
            )
        }
        let uploadedMB = Double(answer.version.uploadedBytes) / 1e6
        let table: [(String, String)] = [
            ("ingestion rate, \(rows) rows × 20 columns, one streamed upload", String(format: "%.0f rows/s", Double(rows) / seconds)),
            ("ingestion rate, CSV bytes (\(String(format: "%.1f", uploadedMB)) MB uploaded)", String(format: "%.1f MB/s", uploadedMB / seconds)),
            ("upload wall time (request sent → answer read)", String(format: "%.2f s", seconds)),
            ("peak RSS of the process (VmHWM: server and client generator)", String(format: "%.1f MB", peak / 1024)),
            ("RSS before the upload (VmRSS)", String(format: "%.1f MB", rssBefore / 1024)),
            ("machine CPU per 1,000 rows (user+system+irq, all processes)", String(format: "%.3f ms", machineCPU / Double(rows) * 1000)),
            ("process CPU per 1,000 rows (server and client)", String(format: "%.3f ms", processCPU / Double(rows) * 1000)),
            ("download of the stored CSV (check, \(String(format: "%.1f", Double(download.bytes) / 1e6)) MB)", String(format: "%.1f MB/s", Double(download.bytes) / 1e6 / downloadSeconds)),
        ]
        print("| figure | value |")
        print("|---|---|")
        for (figure, value) in table { print("| \(figure) | \(value) |") }
        print("\nChecked: \(rows) rows stored, 0 rejected; the download's SHA-256 is the version's (\(answer.version.sha256)).")
        print("Columns as inferred: " + answer.version.columns.map { "\($0.name):\($0.type)" }.joined(separator: ", ") + ".")
    }

    /// Signs the bench tenant up, makes an API key with `data.write` and `data.read`, and creates project `bench` and
    /// dataset `customers` through the API.
    private func prepare() async throws -> Setting {
        let key = try await BenchTenant.apiKey(tenancy, name: "bench ingest", permissions: ["data.write", "data.read"])
        let api = BenchAPI(port: server.port, key: key, timeout: timeout)
        try await api.post("/api/v1/projects", json: #"{"name":"Bench","slug":"bench"}"#)
        try await api.post("/api/v1/projects/bench/datasets", json: #"{"name":"customers","description":"generated by falaj bench ingest"}"#)
        return Setting(api: api)
    }

    /// Streams the generated CSV as the dataset's next version (chunked, never held whole) and decodes the answer.
    private func upload(_ setting: Setting) async throws -> UploadAnswer {
        let body = try await setting.api.upload(setting.versions + "?filename=bench.csv", contentType: "text/csv", body: GeneratedCSV(rows: rows))
        if let answerFile { try Data(body).write(to: URL(fileURLWithPath: answerFile)) }
        return try BenchAPI.decode(UploadAnswer.self, from: body)
    }

    /// Streams the version's content, hashing it and counting its bytes and lines as it arrives.
    private func download(_ setting: Setting, version: Int) async throws -> (sha256: String, bytes: Int, lines: Int) {
        let api = setting.api
        return try await api.client.execute(HTTPClientRequest(url: api.base + setting.versions + "/\(version)/content", headers: api.headers(contentType: nil))) { head, body in
            guard head.status == 200 else { throw BootstrapError(message: "the download answered \(head.status)") }
            let hasher = SHA256.Hasher()
            var (bytes, lines) = (0, 0)
            for try await chunk in body {
                hasher.update(chunk)
                bytes += chunk.count
                lines += chunk.withUnsafeBufferPointer { $0.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } }
            }
            return (Hex.encode(hasher.finalize()), bytes, lines)
        }
    }
}

/// The bench process's own figures, from `/proc/self/status` and `getrusage` (both answered from kernel memory).
enum ProcessFigures {
    /// A `kB` line of `/proc/self/status` (`VmHWM`: peak resident set; `VmRSS`: resident set now), in KiB; 0 if absent.
    static func statusKiB(_ name: String) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            return Double(line.dropFirst(name.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") ?? 0
        }
        return 0
    }

    /// User plus system CPU time of this process (all threads) so far, in milliseconds.
    static func cpuMilliseconds() -> Double {
        var usage = rusage()
        guard getrusage(Int32(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
        func ms(_ time: timeval) -> Double { Double(time.tv_sec) * 1000 + Double(time.tv_usec) / 1000 }
        return ms(usage.ru_utime) + ms(usage.ru_stime)
    }
}
