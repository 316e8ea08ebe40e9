import Foundation

/// The lean-agents throughput run of `falaj bench dispatch`: the same registered agents, but each one a wrk connection
/// driven by `bench/dispatch-agents.lua` instead of Falaj's libcurl client with Foundation's JSON coders, so that the
/// simulated agents take less of the two cores the control plane and Postgres need.
struct WrkLeaseRun {
    /// The wrk executable.
    let wrk: String
    /// `bench/dispatch-agents.lua`.
    let script: String
    /// How long wrk leases, in seconds.
    let seconds: Int

    /// What one run found.
    struct Outcome {
        var leased: Int
        var responses: Int
        var empty: Int
        var errors: Int
        var seconds: Double
        /// CPU time the whole machine spent while wrk ran (every process: server, Postgres, wrk), in core-milliseconds.
        var busyMilliseconds: Double
    }

    /// Runs wrk with one connection (and thread) per credential against `url`, each lease asking for `maxJobs`.
    /// The credentials go to a file in a private temporary folder for the script, removed afterwards. All of it, the
    /// file writes and the wait for wrk, happens on a dedicated thread (never the cooperative pool).
    /// - Throws: when wrk cannot start, fails, or prints no totals.
    func run(url: String, credentials: [String], maxJobs: Int) async throws -> Outcome {
        let busyBefore = MachineCPU.busyMilliseconds()
        let (status, output) = try await BenchProcess.onOwnThread { [wrk, script, seconds] in
            try BenchProcess.withPrivateFolder { folder in
                let file = folder.appendingPathComponent("credentials")
                try Data(credentials.joined(separator: "\n").utf8).write(to: file)
                return try BenchProcess.execute(
                    wrk,
                    [
                        "-t", String(credentials.count), "-c", String(credentials.count), "-d", "\(seconds)s", "--timeout", "10s", "-s", script, url, "--",
                        file.path, String(maxJobs),
                    ]
                )
            }
        }
        let busy = MachineCPU.busyMilliseconds() - busyBefore
        guard status == 0, let line = output.split(separator: "\n").first(where: { $0.hasPrefix("leased ") }) else {
            throw BootstrapError(message: "wrk exited with status \(status) without totals:\n\(output)")
        }
        let numbers = line.split(separator: " ").compactMap { Int($0) }
        guard numbers.count == 4 else { throw BootstrapError(message: "unexpected wrk totals: \(line)") }
        return Outcome(
            leased: numbers[0], responses: numbers[1], empty: numbers[2], errors: numbers[3], seconds: Double(seconds), busyMilliseconds: busy
        )
    }
}
