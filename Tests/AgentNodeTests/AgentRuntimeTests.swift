import AgentNode
import AgentProtocol
import FalajCrypto
import Foundation
import Glibc
import Logging
import Testing

/// Polls `condition` every 50 ms for up to `limit` (a generous deadline, not a speed assertion).
func eventually(_ limit: Duration = .seconds(60), _ condition: () -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + limit
    while clock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return condition()
}

func makeJob(_ command: [String], timeoutSeconds: Int = 600) -> LeasedJob {
    let spec = String(decoding: try! AgentProtocol.encoder.encode(CommandJobSpec(command: command)), as: UTF8.self)
    return LeasedJob(
        jobID: UUID(), tenantID: UUID(), attempt: 1, kind: "train.command", specJSON: spec,
        resources: ResourceRequest(cpuMillis: 500, memoryBytes: 256 << 20), gpuIndices: [], token: "fjt_job",
        leaseExpiresAt: Date().addingTimeInterval(600), timeoutSeconds: timeoutSeconds)
}

/// A fresh data directory path (not created).
func makeDataDirectory() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("agent-\(UUID().uuidString)").path
}

/// The configuration the runtime tests use: a pretend 4-core, 8 GiB node without GPUs and short waits.
func testConfiguration(_ base: String, directory: String) -> AgentConfiguration {
    var configuration = AgentConfiguration(serverURL: base, joinToken: "fjn_good", dataDirectory: directory)
    configuration.overrides = NodeInventory.Overrides(cpuCores: 4, memoryBytes: 8 << 30, gpus: [])
    configuration.leaseWaitSeconds = 1
    configuration.terminationGrace = .seconds(1)
    configuration.shutdownReportTimeout = .seconds(5)
    return configuration
}

/// Runs an agent against `base` in `directory` (default a fresh one, removed afterwards) until `body` returns, then stops it.
func withAgent(_ base: String, directory: String? = nil, _ body: (AgentRuntime) async throws -> Void) async throws {
    let dataDirectory = directory ?? makeDataDirectory()
    defer { if directory == nil { try? FileManager.default.removeItem(atPath: dataDirectory) } }
    let configuration = testConfiguration(base, directory: dataDirectory)
    var logger = Logger(label: "falaj.agentnode.tests")
    logger.logLevel = .warning
    let runtime = AgentRuntime(configuration: configuration, logger: logger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await runtime.run() }
        try await body(runtime)
        runtime.stop()
        try await group.waitForAll()
    }
}

@Suite("AgentRuntime against a fake server", .serialized)
struct AgentRuntimeTests {
    @Test("registers, heartbeats, runs a command job and ships logs, artifact, started event and a failed result")
    func commandJobLifecycle() async throws {
        try await withFakeAgentServer { server, base in
            let script = "echo hello; echo world >&2; printf x > \"$FALAJ_OUTPUT_DIR/a.txt\"; exit 3"
            server.with { $0.queuedJobs = [makeJob(["sh", "-c", script])] }
            try await withAgent(base) { _ in
                #expect(await eventually { server.with { !$0.results.isEmpty } })
            }
            server.with { state in
                #expect(state.registrations == 1)
                #expect(!state.heartbeats.isEmpty)
                #expect(state.logOrder == Array(0..<state.logOrder.count))
                let text = String(decoding: state.logOrder.flatMap { state.logs[$0]! }, as: UTF8.self)
                #expect(text.contains("hello\n") && text.contains("world\n"))
                let artifact = state.artifacts["a.txt"]
                #expect(artifact?.bytes == Array("x".utf8))
                #expect(artifact?.sha256Header == SHA256.hexString(Array("x".utf8)))
                #expect(state.events.contains { $0.kind == .started })
                #expect(state.results.first?.outcome == .failed)
                #expect(state.results.first?.exitCode == 3)
            }
        }
    }

    @Test("a cancel command kills the job's process tree and reports it cancelled")
    func cancelKillsTree() async throws {
        try await withFakeAgentServer { server, base in
            let job = makeJob(["sh", "-c", "sleep 300 & echo $$ > \"$FALAJ_OUTPUT_DIR/pgid\"; sleep 300; wait"])
            server.with { $0.queuedJobs = [job] }
            try await withAgent(base) { _ in
                #expect(await eventually { server.with { $0.events.contains { $0.kind == .started } } })
                // Heartbeats report the running attempt and the resources it leaves free.
                #expect(await eventually {
                    server.with { $0.heartbeats.contains { $0.running.contains(RunningJobReport(jobID: job.jobID, attempt: 1)) && $0.free.cpuMillis == 3500 } }
                })
                server.with { $0.commands = [AgentCommand(kind: .cancelJob, jobID: job.jobID, attempt: 1, reason: "user cancelled")] }
                #expect(await eventually { server.with { !$0.results.isEmpty } })
            }
            let (result, pgidText) = server.with { ($0.results.first, $0.artifacts["pgid"].map { String(decoding: $0.bytes, as: UTF8.self) }) }
            #expect(result?.outcome == .cancelled)
            #expect(result?.message == "user cancelled")
            let pgid = try #require(pgidText.flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
            #expect(kill(-pgid, 0) == -1 && errno == ESRCH)
        }
    }

    @Test("a 409 on the result is dropped, not retried forever")
    func staleResultDropped() async throws {
        try await withFakeAgentServer { server, base in
            server.with {
                $0.resultStatus = 409
                $0.queuedJobs = [makeJob(["sh", "-c", "echo done"])]
            }
            try await withAgent(base) { _ in
                #expect(await eventually { server.with { $0.resultPosts >= 1 } })
                // Give a retry loop time to show itself; the stale result must have been posted exactly once.
                try await Task.sleep(for: .seconds(2))
            }
            #expect(server.with { $0.resultPosts } == 1)
        }
    }

    @Test("a revoked credential stops the agent with a clear error")
    func revocationStops() async throws {
        try await withFakeAgentServer { server, base in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("agent-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: directory) }
            var configuration = AgentConfiguration(serverURL: base, joinToken: "fjn_good", dataDirectory: directory)
            configuration.leaseWaitSeconds = 1
            configuration.overrides = NodeInventory.Overrides(gpus: [])
            var logger = Logger(label: "falaj.agentnode.tests")
            logger.logLevel = .critical
            let runtime = AgentRuntime(configuration: configuration, logger: logger)
            server.with { $0.isCredentialRevoked = true }
            do {
                try await runtime.run()
                Issue.record("expected the agent to stop with an error")
            } catch let error as AgentRuntimeError {
                #expect(error.message.contains("agent credential refused"))
            }
        }
    }
}
