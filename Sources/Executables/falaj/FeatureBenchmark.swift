import Foundation
import ServiceLifecycle
import Tenancy
import WebServer

/// The feature-store benchmark itself, run as a service next to the server so it ends the group when done. Prints one
/// Markdown table (`| figure | value unit |`) and the checks made; throws when an answer is wrong.
struct FeatureBenchmark: Service {
    let server: HTTPServer
    let tenancy: TenancyServices
    let options: Options

    struct Options: Sendable {
        var onlineEntities: Int
        var sequentialReads: Int
        /// wrk's path, or nil when it is missing (no concurrent figures).
        var wrk: String?
        var wrkScript: String
        var wrkSeconds: Int
        var connections: Int
        var data: TrainingSetData
        var runsOnline: Bool
        var runsTrainingSet: Bool
        var timeout: Duration
    }

    /// The bench project and its entity.
    static let project = "bench"
    /// The online group and its 10 features.
    static let onlineGroup = "profile"
    static let onlineFeatures = (1...10).map { "f\($0)" }

    func run() async throws {
        let key = try await BenchTenant.apiKey(tenancy, name: "bench features", permissions: ["data.write", "data.read"])
        let api = BenchAPI(port: server.port, key: key, timeout: options.timeout)
        try await api.post("/api/v1/projects", json: #"{"name":"Bench","slug":"bench"}"#)
        try await api.post(
            "/api/v1/projects/\(Self.project)/entities", json: #"{"name":"customer","join_key":"customer_id","key_type":"string","description":"bench"}"#
        )
        var table: [(String, String)] = []
        var checks: [String] = []
        let loadBefore = Self.loadAverage()
        if options.runsOnline {
            let online = try await OnlineReadPhase(api: api, port: server.port, options: options).run()
            table += online.table
            checks += online.checks
        }
        if options.runsTrainingSet {
            let training = try await TrainingSetPhase(api: api, data: options.data).run()
            table += training.table
            checks += training.checks
        }
        print("| figure | value |")
        print("|---|---|")
        for (figure, value) in table { print("| \(figure) | \(value) |") }
        print("")
        for check in checks { print("Checked: " + check) }
        print("Load average (1 min) at the start and the end: \(loadBefore), \(Self.loadAverage()) (the bench's own work counts in it).")
    }

    /// The first field of `/proc/loadavg`.
    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
    }
}

/// What a phase reports: table rows and the checks it passed.
struct BenchPhaseReport {
    var table: [(String, String)] = []
    var checks: [String] = []
}

/// The value at `fraction` (0.5: the median) of sorted `values` (nearest rank).
func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * fraction).rounded(.up)) - 1))]
}

extension ProcessFigures {
    /// Resets this process's peak resident set (`VmHWM`) to its current size (`5` to `/proc/self/clear_refs`, Linux
    /// 4.0+), so a later `VmHWM` is the peak of what came after. False when the kernel refused.
    static func resetPeak() -> Bool {
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, "5", 1) == 1
    }

    /// User plus system CPU time, in milliseconds, of this process's descendants that are running now (the embedded
    /// Postgres: postmaster and backends), from `/proc/<pid>/stat`. Descendants that have exited are not counted.
    static func descendantsCPUMilliseconds() -> Double {
        guard let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return 0 }
        var parent: [Int32: Int32] = [:]
        var ticks: [Int32: Double] = [:]
        for name in pids {
            guard let pid = Int32(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // After "pid (comm)": state (3rd field), ppid (4th) … utime (14th), stime (15th).
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 12, let ppid = Int32(fields[1]), let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
            parent[pid] = ppid
            ticks[pid] = user + system
        }
        let me = getpid()
        var total = 0.0
        for (pid, cpu) in ticks {
            var ancestor = parent[pid]
            var depth = 0
            while let current = ancestor, current > 1, depth < 64 {
                if current == me {
                    total += cpu
                    break
                }
                ancestor = parent[current]
                depth += 1
            }
        }
        return total * 1000 / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// CPU spent by the bench process (server, and the client where it runs in-process) and by its Postgres.
struct BenchCPU {
    var process: Double
    var postgres: Double

    static func now() -> BenchCPU { BenchCPU(process: ProcessFigures.cpuMilliseconds(), postgres: ProcessFigures.descendantsCPUMilliseconds()) }

    static func - (after: BenchCPU, before: BenchCPU) -> BenchCPU { BenchCPU(process: after.process - before.process, postgres: after.postgres - before.postgres) }
}
