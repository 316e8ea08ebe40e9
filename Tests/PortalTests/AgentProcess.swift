import Foundation
import Testing

/// A real `falaj-agent` child process with its own data directory, for end-to-end tests.
final class AgentProcess: @unchecked Sendable {
    // @unchecked Sendable: `process` and the pipe are set up in `init` before the object is shared and only read
    // afterwards; `output` is guarded by `lock`.
    let process = Process()
    let dataDirectory: String
    private let lock = NSLock()
    private var output = ""

    static var binary: String { FalajProcess.packageRoot.appendingPathComponent(".build/debug/falaj-agent").path }

    /// Starts `falaj-agent --server <server> --join-token <token>` with `arguments` (labels, resource overrides).
    init(server: String, joinToken: String, arguments: [String] = []) throws {
        dataDirectory = "/tmp/falaj-agent-test-\(UUID().uuidString.prefix(8))"
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["--server", server, "--join-token", joinToken, "--data-dir", dataDirectory, "--log-level", "info"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.output += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
    }

    /// Everything the agent printed so far.
    var log: String { lock.withLock { output } }

    /// Waits (bounded) until the agent's output contains `text`.
    func waitForOutput(_ text: String, timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if log.contains(text) { return }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw FalajProcessError(message: "falaj-agent never printed '\(text)'; output:\n\(log)")
    }

    /// kill -9: the agent gets no chance to report anything.
    func killHard() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// SIGTERM and a bounded wait for the exit status.
    @discardableResult
    func stop(timeout: Duration = .seconds(30)) -> Int32? { terminate(process, timeout: timeout) }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }
}
