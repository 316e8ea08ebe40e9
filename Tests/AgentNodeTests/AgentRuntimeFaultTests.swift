import AgentNode
import AgentProtocol
import FalajCrypto
import Foundation
import Glibc
import Logging
import ServiceLifecycle
import Testing

/// The log text the fake server received, in seq order.
private func logText(_ server: FakeAgentServer) -> String {
    server.with { state in String(decoding: state.logOrder.sorted().flatMap { state.logs[$0]! }, as: UTF8.self) }
}

@Suite("AgentRuntime executors and faults", .serialized)
struct AgentRuntimeFaultTests {
    @Test("a job past its timeout is killed and fails with 'timed out after N s'")
    func timeout() async throws {
        try await withFakeAgentServer { server, base in
            server.with { $0.queuedJobs = [makeJob(["sh", "-c", "sleep 300 & sleep 300"], timeoutSeconds: 1)] }
            try await withAgent(base) { _ in
                #expect(await eventually { server.with { !$0.results.isEmpty } })
            }
            let result = server.with { $0.results.first }
            #expect(result?.outcome == .failed)
            #expect(result?.message == "timed out after 1 s")
        }
    }

    @Test("the command gets a clean environment with the job's variables, no GPUs, and gang variables after the barrier")
    func environmentAndGang() async throws {
        try await withFakeAgentServer { server, base in
            var job = makeJob(["env"])
            job.environment = ["FALAJ_JOB_ID": job.jobID.uuidString]
            job.gang = GangAssignment(nodeRank: 1, worldSize: 2, masterAddress: "10.0.0.7", masterPort: 29500)
            server.with {
                $0.queuedJobs = [job]
                $0.gangAnswers = [GangStatus(state: .wait), GangStatus(state: .start)]
            }
            setenv("FALAJ_AGENT_TEST_LEAK", "1", 1)
            try await withAgent(base) { _ in
                #expect(await eventually { server.with { !$0.results.isEmpty } })
            }
            let lines = Set(logText(server).split(separator: "\n").map(String.init))
            #expect(server.with { $0.gangPosts } >= 2)
            #expect(server.with { $0.results.first?.outcome } == .succeeded)
            for expected in [
                "CUDA_VISIBLE_DEVICES=", "FALAJ_JOB_TOKEN=fjt_job", "LANG=C.UTF-8", "PATH=/usr/local/bin:/usr/bin:/bin", "WORLD_SIZE=2", "NODE_RANK=1",
                "MASTER_ADDR=10.0.0.7", "MASTER_PORT=29500", "FALAJ_JOB_ID=\(job.jobID.uuidString)",
            ] {
                #expect(lines.contains(expected), "missing \(expected)")
            }
            #expect(!lines.contains { $0.hasPrefix("FALAJ_AGENT_TEST_LEAK") })
            #expect(lines.contains { $0.hasPrefix("FALAJ_OUTPUT_DIR=") && $0.hasSuffix("-a1-r1/output") })
        }
    }

    @Test("an aborted gang does not start and reports nothing")
    func gangAbort() async throws {
        try await withFakeAgentServer { server, base in
            var job = makeJob(["sh", "-c", "echo should not run"])
            job.gang = GangAssignment(nodeRank: 0, worldSize: 2, masterAddress: "127.0.0.1", masterPort: 29500)
            server.with {
                $0.queuedJobs = [job]
                $0.gangAnswers = [GangStatus(state: .abort, reason: "gang timed out")]
            }
            try await withAgent(base) { _ in
                #expect(await eventually { server.with { $0.gangPosts >= 1 } })
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(server.with { $0.results.isEmpty && $0.logs.isEmpty && $0.events.isEmpty })
        }
    }

    @Test("node.diagnostics writes diagnostics.json as an artifact and reports metrics; unknown kinds fail clearly")
    func builtins() async throws {
        try await withFakeAgentServer { server, base in
            var diagnostics = makeJob([])
            diagnostics.kind = "node.diagnostics"
            diagnostics.specJSON = "{}"
            var unknown = makeJob([])
            unknown.kind = "drift.check"
            unknown.specJSON = "{}"
            server.with { $0.queuedJobs = [diagnostics, unknown] }
            try await withAgent(base) { _ in
                #expect(await eventually { server.with { $0.results.count == 2 } })
            }
            server.with { state in
                #expect(state.results.contains { $0.outcome == .succeeded })
                #expect(state.results.contains { $0.outcome == .failed && $0.message?.contains("no executor for job kind 'drift.check'") == true })
                #expect(state.events.contains { $0.kind == .metric && $0.name == "cpu_percent" })
                let report = state.artifacts["diagnostics.json"].map { String(decoding: $0.bytes, as: UTF8.self) } ?? ""
                #expect(report.contains("\"cpuCores\":4"))
            }
        }
    }

    @Test("a result is retried while the server is unavailable, and an undelivered one survives an agent restart")
    func resultRetriesAndPersistence() async throws {
        try await withFakeAgentServer { server, base in
            server.with {
                $0.unavailableResults = 2
                $0.queuedJobs = [makeJob(["true"])]
            }
            try await withAgent(base) { _ in
                #expect(await eventually { server.with { !$0.results.isEmpty } })
            }
            #expect(server.with { $0.resultPosts } == 3)

            let directory = makeDataDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            server.with {
                $0.results = []
                $0.unavailableResults = 1_000_000
                $0.queuedJobs = [makeJob(["true"])]
            }
            try await withAgent(base, directory: directory) { _ in
                #expect(await eventually { server.with { $0.resultPosts >= 5 } })
            }
            let pending = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/pending")) ?? []
            #expect(pending.count == 1)
            server.with { $0.unavailableResults = 0 }
            try await withAgent(base, directory: directory) { _ in
                #expect(await eventually { server.with { !$0.results.isEmpty } })
                #expect(await eventually { ((try? FileManager.default.contentsOfDirectory(atPath: directory + "/pending")) ?? []).isEmpty })
            }
            #expect(server.with { $0.registrations } == 2)  // the restart reused the stored identity
        }
    }

    @Test("graceful shutdown terminates running jobs and reports them cancelled")
    func gracefulShutdown() async throws {
        try await withFakeAgentServer { server, base in
            server.with { $0.queuedJobs = [makeJob(["sleep", "300"])] }
            let directory = makeDataDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            var logger = Logger(label: "falaj.agentnode.tests")
            logger.logLevel = .critical
            let runtime = AgentRuntime(configuration: testConfiguration(base, directory: directory), logger: logger)
            let group = ServiceGroup(configuration: .init(services: [runtime], logger: logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                #expect(await eventually { server.with { $0.events.contains { $0.kind == .started } } })
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            let result = server.with { $0.results.first }
            #expect(result?.outcome == .cancelled)
            #expect(result?.message == "the agent is shutting down")
        }
    }

    @Test("large output is shipped in ordered chunks of at most 64 KiB; a missing program fails with a clear message")
    func logChunksAndExecFailure() async throws {
        try await withFakeAgentServer { server, base in
            server.with { $0.queuedJobs = [makeJob(["sh", "-c", "head -c 300000 /dev/zero | tr '\\0' a"])] }
            try await withAgent(base) { _ in
                #expect(await eventually { server.with { !$0.results.isEmpty } })
            }
            server.with { state in
                #expect(state.logOrder == Array(0..<state.logOrder.count))
                #expect(state.logOrder.count >= 5)
                #expect(state.logs.values.allSatisfy { $0.count <= 64 << 10 })
            }
            #expect(logText(server) == String(repeating: "a", count: 300_000))

            server.with {
                $0.results = []
                $0.logs = [:]
                $0.logOrder = []
                $0.queuedJobs = [makeJob(["falaj-no-such-program"])]
            }
            try await withAgent(base) { _ in
                #expect(await eventually { server.with { !$0.results.isEmpty } })
            }
            let result = server.with { $0.results.first }
            #expect(result?.outcome == .failed)
            #expect(result?.message == "cannot run 'falaj-no-such-program': No such file or directory")
            #expect(logText(server).contains("cannot run 'falaj-no-such-program'"))
        }
    }

    @Test("a 100 MB artifact streams from disk with a matching SHA-256")
    func largeArtifact() async throws {
        try await withFakeAgentServer { server, base in
            server.with { $0.queuedJobs = [makeJob(["sh", "-c", "head -c 100000000 /dev/urandom > \"$FALAJ_OUTPUT_DIR/big.bin\""])] }
            try await withAgent(base) { _ in
                #expect(await eventually(.seconds(300)) { server.with { !$0.results.isEmpty } })
            }
            let artifact = try #require(server.with { $0.artifacts["big.bin"] })
            #expect(artifact.bytes.count == 100_000_000)
            #expect(artifact.sha256Header == SHA256.hexString(artifact.bytes))
        }
    }
}
