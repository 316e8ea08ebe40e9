import Foundation
import Testing

/// A real `falaj serve` child process on a free port with its own data directory, for end-to-end tests.
final class FalajProcess: @unchecked Sendable {
    // @unchecked Sendable: `process` and the pipes are set up in `start` before the object is shared and
    // only read afterwards; `output` is guarded by `lock`.
    let process = Process()
    let dataDirectory: String
    private(set) var baseURL = ""
    private(set) var port = 0
    private let lock = NSLock()
    private var output = ""

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static var binary: String { packageRoot.appendingPathComponent(".build/debug/falaj").path }

    /// Starts `falaj serve --port 0` with `arguments` and waits (bounded) until it prints its URL.
    /// With `configureThroughEnvironment`, port, data directory and log level go in `FALAJ_…` variables instead of flags.
    init(arguments: [String] = [], environment: [String: String] = [:], configureThroughEnvironment: Bool = false) async throws {
        dataDirectory = "/tmp/falaj-test-\(UUID().uuidString.prefix(8))"
        process.executableURL = URL(fileURLWithPath: Self.binary)
        var environment = environment
        if configureThroughEnvironment {
            environment["FALAJ_PORT"] = "0"
            environment["FALAJ_DATA_DIR"] = dataDirectory
            environment["FALAJ_LOG_LEVEL"] = "warning"
            process.arguments = ["serve"] + arguments
        } else {
            process.arguments = ["serve", "--port", "0", "--data-dir", dataDirectory, "--log-level", "warning"] + arguments
        }
        process.currentDirectoryURL = Self.packageRoot
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.output += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            if let url = lock.withLock({ Self.findURL(in: output) }) {
                baseURL = url
                port = Int(url.split(separator: ":").last?.filter(\.isNumber) ?? "") ?? 0
                return
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let log = lock.withLock { output }
        stop()
        throw FalajProcessError(message: "falaj serve did not start; output:\n\(log)")
    }

    private static func findURL(in output: String) -> String? {
        for line in output.split(separator: "\n") where line.contains("Falaj is running at ") {
            if let range = line.range(of: "http") { return String(line[range.lowerBound...]).trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }

    /// Everything the process printed so far.
    var log: String { lock.withLock { output } }

    /// Sends SIGTERM and waits (bounded) for the exit status.
    @discardableResult
    func stop(timeout: Duration = .seconds(30)) -> Int32? { terminate(process, timeout: timeout) }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }
}

/// Sends SIGTERM and waits (bounded) for the exit status; SIGKILL and nil when the process outlives `timeout`.
func terminate(_ process: Process, timeout: Duration) -> Int32? {
    if process.isRunning { process.terminate() }
    let deadline = ContinuousClock.now + timeout
    while process.isRunning && ContinuousClock.now < deadline { usleep(50_000) }
    if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        return nil
    }
    return process.terminationStatus
}

struct FalajProcessError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Runs a command and returns its exit status and standard output (bounded by `timeout`).
func runCommand(
    _ executable: String,
    _ arguments: [String],
    environment: [String: String] = [:],
    timeout: Duration = .seconds(60)
) async throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let reader = Task.detached { pipe.fileHandleForReading.readDataToEndOfFile() }
    let deadline = ContinuousClock.now + timeout
    while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    if process.isRunning { process.terminate() }
    let data = await reader.value
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// `curl` with `arguments`, returning the status code, headers and body.
func curl(_ arguments: [String]) async throws -> (status: Int, headers: String, body: String) {
    let result = try await runCommand("/usr/bin/curl", ["-s", "-S", "-i", "--max-time", "20"] + arguments)
    let text = result.output.replacingOccurrences(of: "\r\n", with: "\n")
    let parts = text.components(separatedBy: "\n\n")
    let headers = parts.first ?? ""
    let body = parts.dropFirst().joined(separator: "\n\n")
    let status = headers.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    return (status, headers, body)
}
