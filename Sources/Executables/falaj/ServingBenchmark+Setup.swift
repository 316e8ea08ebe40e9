import ComputeAgents
import Foundation
import HTTPClient
import Learning
import Tenancy
import WebServer

/// What the serving benchmark measures against: the bench tenant's API key (with `predict`), the model, a running
/// `falaj-agent` and the port its replica serves on.
struct ServingSetup {
    /// The bench's project and deployment.
    static let project = "bench"
    static let deployment = "churn"

    let key: String
    let model: ModelFile
    let modelBytes: Int
    let agent: BenchAgentProcess
    let replicaPort: Int
    let readySeconds: Double

    /// Signs the bench tenant up, makes its API key, trains and uploads the model, starts the agent (enrolled with a
    /// one-use join token), deploys the model with one replica through the API and waits (at most 120 s) until the
    /// replica serves and the gateway's routing cache has expired.
    static func prepare(server: HTTPServer, tenancy: TenancyServices, agents: ComputeAgentsServices, options: ServingBenchmark.Options) async throws -> ServingSetup {
        let key = try await BenchTenant.apiKey(
            tenancy, name: "bench serving", permissions: ["data.write", "models.write", "models.read", "deployments.write", "deployments.read", "jobs.write", "predict"])
        let api = BenchAPI(port: server.port, key: key, timeout: .seconds(120))
        try await api.post("/api/v1/projects", json: #"{"name":"Bench","slug":"\#(project)"}"#)

        let model = try await BenchProcess.onOwnThread { try ServingBenchmark.trainModel() }
        let bytes = try model.encoded()
        _ = try await api.upload(
            "/api/v1/projects/\(project)/models/churn/versions/upload?file_name=churn.falaj", contentType: "application/octet-stream",
            body: OneChunk(bytes: bytes))

        let (token, _) = try await agents.joinTokens.create(
            JoinTokenRequest(region: "me-central-1", description: "bench serving", maxUses: 1, lifetimeSeconds: 600),
            by: .platformOperator(id: UUID(), requestID: "bench", clientAddress: "127.0.0.1"))
        let agent = try BenchAgentProcess(
            binary: options.agentBinary, server: "http://127.0.0.1:\(server.port)", joinToken: token, directory: options.agentDirectory)
        do {
            let began = ContinuousClock.now
            try await api.post(
                "/api/v1/projects/\(project)/deployments",
                json: #"{"name":"\#(deployment)","variants":[{"name":"a","model":"churn","version":1,"weight":100,"replicas":1,"cpu_millis":1000}]}"#)
            let port = try await waitForReplica(api: api, agent: agent)
            let readySeconds = (ContinuousClock.now - began).milliseconds / 1000
            try await Task.sleep(for: .seconds(1.1))  // the gateway's routing cache holds a deployment for 1 s
            return ServingSetup(key: key, model: model, modelBytes: bytes.count, agent: agent, replicaPort: port, readySeconds: readySeconds)
        } catch {
            await agent.stopOffPool()
            throw error
        }
    }

    /// Polls the deployment until its replica serves; its port.
    private static func waitForReplica(api: BenchAPI, agent: BenchAgentProcess) async throws -> Int {
        struct Deployment: Decodable {
            struct Variant: Decodable { var replicas: [Replica] }
            struct Replica: Decodable {
                var state: String
                var url: String?
                var serving: Bool
            }
            var variants: [Variant]
        }
        let deadline = ContinuousClock.now + .seconds(120)
        var last = ""
        while ContinuousClock.now < deadline {
            let response = try await api.client.execute(.init(method: "GET", url: api.base + "/api/v1/deployments/\(deployment)", headers: api.headers(contentType: nil)))
            last = String(decoding: response.body.prefix(2_000), as: UTF8.self)
            if response.status == 200, let replica = try BenchAPI.decode(Deployment.self, from: response.body).variants.first?.replicas.first,
                replica.serving, let url = replica.url, let port = url.split(separator: ":").last.flatMap({ Int($0) })
            {
                return port
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BootstrapError(message: "the replica never served within 120 s; the deployment: \(last)\nthe agent's log:\n\(agent.logTail())")
    }
}

/// A real `falaj-agent` child process (2 CPUs, 4 GiB offered), its output in a file of its folder.
final class BenchAgentProcess: Sendable {
    private let process: Process
    private let logPath: String

    init(binary: String, server: String, joinToken: String, directory: String) throws {
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        logPath = directory + "/agent.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--server", server, "--join-token", joinToken, "--data-dir", directory + "/data", "--log-level", "warning", "--cpus", "2", "--memory", "4G",
        ]
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.process = process
    }

    /// The last 4,000 characters the agent printed.
    func logTail() -> String {
        String(decoding: ((try? Data(contentsOf: URL(fileURLWithPath: logPath))) ?? Data()).suffix(4_000), as: UTF8.self)
    }

    /// ``stop()`` on a thread of its own, never the cooperative pool.
    func stopOffPool() async {
        _ = try? await BenchProcess.onOwnThread { [self] in stop() }
    }

    /// SIGTERM, then SIGKILL after 10 s (blocking the calling thread for that wait).
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning && ContinuousClock.now < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// An upload body of one chunk.
struct OneChunk: AsyncSequence, Sendable {
    let bytes: [UInt8]

    struct AsyncIterator: AsyncIteratorProtocol {
        var bytes: [UInt8]?
        mutating func next() async throws -> [UInt8]? {
            defer { bytes = nil }
            return bytes
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: bytes) }
}
