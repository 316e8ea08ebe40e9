import AgentProtocol
import FalajCrypto
import Foundation
import HTTPTypes
import Logging
import Synchronization
import WebServer

/// A minimal agent API on our own ``HTTPServer`` (port 0): records what the agent sends and hands out queued work.
final class FakeAgentServer: Sendable {
    struct Artifact: Sendable {
        var bytes: [UInt8]
        var sha256Header: String?
    }

    struct State {
        var registrations = 0
        var heartbeats: [HeartbeatRequest] = []
        var queuedJobs: [LeasedJob] = []
        var commands: [AgentCommand] = []
        var logs: [Int: [UInt8]] = [:]
        var logOrder: [Int] = []
        var events: [JobEventReport] = []
        var artifacts: [String: Artifact] = [:]
        var results: [JobResultReport] = []
        var resultPosts = 0
        var resultStatus = 200
        var isCredentialRevoked = false
        /// Answers the gang barrier gives, in order; the last one repeats.
        var gangAnswers: [GangStatus] = [GangStatus(state: .start)]
        var gangPosts = 0
        /// The next this many result posts get a 503 (a server restarting).
        var unavailableResults = 0
    }

    let state = Mutex<State>(State())
    let credential = "fag_test_credential"
    let agentID = UUID()

    func with<T>(_ body: (inout State) -> T) -> T { state.withLock { body(&$0) } }

    private func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        Response.json(Array(try! AgentProtocol.encoder.encode(value)), status: status)
    }

    private func isAgent(_ request: Request) -> Bool {
        request.headerFields[.authorization] == "Bearer \(credential)" && !with { $0.isCredentialRevoked }
    }

    private var unauthorized: Response { json(AgentProblem(status: 401, title: "Unauthorized", detail: "agent revoked"), status: .unauthorized) }

    func routes(_ routes: inout RouterBuilder) {
        routes.post(AgentEndpoint.register) { request in
            let body = try await request.body.collect(upTo: 1 << 20)
            let registration = try AgentProtocol.decoder.decode(RegistrationRequest.self, from: Data(body))
            guard registration.joinToken == "fjn_good" else {
                return self.json(AgentProblem(status: 401, title: "Unauthorized", detail: "unknown join token"), status: .unauthorized)
            }
            self.with { $0.registrations += 1 }
            return self.json(
                RegistrationResponse(
                    agentID: self.agentID, region: "eu-west-1", dedicatedTenantID: nil,
                    credential: AgentCredential(token: self.credential, expiresAt: Date().addingTimeInterval(3600)), heartbeatIntervalSeconds: 1),
                status: .created)
        }
        routes.post(AgentEndpoint.heartbeat) { request in
            guard self.isAgent(request) else { return self.unauthorized }
            let heartbeat = try AgentProtocol.decoder.decode(HeartbeatRequest.self, from: Data(try await request.body.collect(upTo: 1 << 20)))
            let commands = self.with { state in
                state.heartbeats.append(heartbeat)
                defer { state.commands = [] }
                return state.commands
            }
            return self.json(HeartbeatResponse(heartbeatIntervalSeconds: 1, commands: commands))
        }
        routes.post(AgentEndpoint.lease) { request in
            guard self.isAgent(request) else { return self.unauthorized }
            let lease = try AgentProtocol.decoder.decode(LeaseRequest.self, from: Data(try await request.body.collect(upTo: 1 << 20)))
            for _ in 0..<10 {
                let jobs = self.with { state -> [LeasedJob] in
                    guard let job = state.queuedJobs.first, lease.free.fits(job.resources.amounts) else { return [] }
                    state.queuedJobs.removeFirst()
                    return [job]
                }
                if !jobs.isEmpty { return self.json(LeaseResponse(jobs: jobs)) }
                try await Task.sleep(for: .milliseconds(50))
            }
            return self.json(LeaseResponse(jobs: []))
        }
        routes.post("/agent/v1/jobs/:id/logs") { request in
            let seq = Int(request.query("seq") ?? "") ?? -1
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let isNew = self.with { state in
                guard state.logs[seq] == nil else { return false }
                state.logs[seq] = bytes
                state.logOrder.append(seq)
                return true
            }
            return self.json(LogChunkAcknowledgement(seq: seq, isNew: isNew))
        }
        routes.post("/agent/v1/jobs/:id/events") { request in
            let batch = try AgentProtocol.decoder.decode(JobEventBatch.self, from: Data(try await request.body.collect(upTo: 1 << 20)))
            self.with { $0.events += batch.events }
            return Response(status: .noContent)
        }
        routes.put("/agent/v1/jobs/:id/artifacts/**", maxBodySize: 256 << 20) { request in
            let path = request.parameters["**"] ?? ""
            let bytes = try await request.body.collect(upTo: 256 << 20)
            let header = request.headerFields[HTTPField.Name(AgentProtocol.sha256Header)!]
            self.with { $0.artifacts[path] = Artifact(bytes: bytes, sha256Header: header) }
            return self.json(ArtifactReceipt(path: path, sizeBytes: Int64(bytes.count), sha256: SHA256.hexString(bytes)), status: .created)
        }
        routes.post("/agent/v1/jobs/:id/gang") { _ in
            let answer = self.with { state -> GangStatus in
                state.gangPosts += 1
                return state.gangAnswers.count > 1 ? state.gangAnswers.removeFirst() : state.gangAnswers[0]
            }
            return self.json(answer)
        }
        routes.post("/agent/v1/jobs/:id/result") { request in
            let report = try AgentProtocol.decoder.decode(JobResultReport.self, from: Data(try await request.body.collect(upTo: 1 << 20)))
            let status = self.with { state -> Int in
                state.resultPosts += 1
                if state.unavailableResults > 0 {
                    state.unavailableResults -= 1
                    return 503
                }
                if state.resultStatus == 200 { state.results.append(report) }
                return state.resultStatus
            }
            if status == 503 {
                return self.json(AgentProblem(status: 503, title: "Service Unavailable"), status: .serviceUnavailable)
            }
            if status == 409 {
                return self.json(AgentProblem(status: 409, title: "Conflict", detail: "attempt is stale"), status: .conflict)
            }
            return self.json(JobResultAcknowledgement(state: report.outcome.rawValue, isNew: true))
        }
    }
}

/// Runs `body` with a fake server on 127.0.0.1 and an OS-chosen port.
func withFakeAgentServer<T>(_ body: (FakeAgentServer, String) async throws -> T) async throws -> T {
    var logger = Logger(label: "falaj.agentnode.tests.server")
    logger.logLevel = .critical
    var configuration = HTTPServerConfiguration()
    configuration.port = 0
    configuration.eventLoopCount = 1
    configuration.limits.maxBodySize = 256 << 20
    configuration.shutdownGracePeriod = .seconds(2)
    let fake = FakeAgentServer()
    var builder = RouterBuilder()
    fake.routes(&builder)
    let server = try HTTPServer(configuration: configuration, responder: builder.build(logger: logger), logger: logger)
    let runTask = Task { try await server.run() }
    defer { server.shutdown() }
    do {
        let result = try await body(fake, "http://127.0.0.1:\(server.port)")
        server.shutdown()
        _ = try? await runTask.value
        return result
    } catch {
        server.shutdown()
        _ = try? await runTask.value
        throw error
    }
}
