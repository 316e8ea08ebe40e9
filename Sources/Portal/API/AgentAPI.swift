import AgentProtocol
import ComputeAgents
import Foundation
import Platform
import HTTPTypes
import WebServer

/// The agent API under `/agent/v1/` (DESIGN.md §2: agents pull work; the control plane never calls them).
///
/// Bodies are JSON in the wire types of `AgentProtocol` (ISO 8601 dates), except log chunks and artifacts, which are
/// raw bytes. Authentication happens in ``AccessMiddleware``: registration carries the join token in the body,
/// heartbeat and lease the agent credential, job paths the job-scoped token of the lease.
enum AgentAPI {
    /// The largest JSON body an agent sends (heartbeats with many running jobs stay far below).
    static let maximumJSONSize = 1 << 20
    /// The largest log chunk (the agent sends ≤ 64 KiB).
    static let maximumLogChunkSize = 1 << 20
    /// The largest artifact accepted in one upload (streamed, never held in memory).
    static let maximumArtifactSize = 64 << 30

    static func add(to routes: inout PortalRoutes, environment: PortalEnvironment) {
        routes.post(AgentEndpoint.register, access: .agentEnrolment) { request in
            let services = try environment.requireComputeAgents()
            let registration = try await request.decodeJSON(RegistrationRequest.self, decoder: AgentProtocol.decoder, maximumSize: maximumJSONSize)
            let response = try await services.registry.register(registration, remoteAddress: request.clientIP)
            return try json(response, status: .created)
        }
        routes.post(AgentEndpoint.heartbeat, access: .agent) { request in
            let services = try environment.requireComputeAgents()
            let report = try await request.decodeJSON(HeartbeatRequest.self, decoder: AgentProtocol.decoder, maximumSize: maximumJSONSize)
            return try json(try await services.registry.heartbeat(try request.requireAgent(), report))
        }
        routes.post(AgentEndpoint.lease, access: .agent) { request in
            let services = try environment.requireComputeAgents()
            let lease = try await request.decodeJSON(LeaseRequest.self, decoder: AgentProtocol.decoder, maximumSize: maximumJSONSize)
            return try json(try await services.dispatcher.lease(try request.requireAgent(), lease))
        }
        routes.add(.post, "/agent/v1/jobs/:job/logs", access: .jobToken, maxBodySize: maximumLogChunkSize) { request in
            let services = try environment.requireComputeAgents()
            guard let seq = request.query("seq").flatMap({ Int($0) }), seq >= 0 else {
                throw ComputeAgentsError.invalid(field: "seq", "'seq' must be a non-negative integer in the query")
            }
            let data = try await request.body.collect(upTo: maximumLogChunkSize)
            return try json(try await services.dispatcher.appendLog(try request.requireJob(), seq: seq, data: data))
        }
        routes.post("/agent/v1/jobs/:job/events", access: .jobToken) { request in
            let services = try environment.requireComputeAgents()
            let batch = try await request.decodeJSON(JobEventBatch.self, decoder: AgentProtocol.decoder, maximumSize: maximumJSONSize)
            try await services.dispatcher.recordEvents(try request.requireJob(), batch)
            return Response(status: .noContent)
        }
        routes.add(.put, "/agent/v1/jobs/:job/artifacts/**", access: .jobToken, maxBodySize: maximumArtifactSize) { request in
            let services = try environment.requireComputeAgents()
            let scope = try request.requireJob()
            let path = request.pathSegments.dropFirst(5).joined(separator: "/")
            guard let digest = request.headerFields[HTTPField.Name(AgentProtocol.sha256Header)!]?.lowercased() else {
                throw ComputeAgentsError.invalid(field: "sha256", "Send the artifact's SHA-256 in the \(AgentProtocol.sha256Header) header")
            }
            let receipt = try await services.dispatcher.storeArtifact(scope, path: path, sha256: digest, body: request.body)
            return try json(receipt, status: .created)
        }
        routes.post("/agent/v1/jobs/:job/result", access: .jobToken) { request in
            let services = try environment.requireComputeAgents()
            let report = try await request.decodeJSON(JobResultReport.self, decoder: AgentProtocol.decoder, maximumSize: maximumJSONSize)
            return try json(try await services.dispatcher.reportResult(try request.requireJob(), report))
        }
        routes.get("/agent/v1/jobs/:job/input", access: .jobToken) { request in
            let input = try await environment.requirePlatform().runs.jobInput(try request.requireJob())
            return Response(
                headerFields: [.contentType: "text/csv; charset=utf-8", .contentLength: String(input.sizeBytes), .cacheControl: "no-store"],
                body: .stream { writer in try await input.stream { bytes in try await writer.write(bytes) } }
            )
        }
        routes.get("/agent/v1/jobs/:job/files", access: .jobToken) { request in
            let files = try await environment.requirePlatform().runs.jobFiles(try request.requireJob())
            return Response(
                headerFields: [.contentType: "application/gzip", .contentLength: String(files.sizeBytes), .cacheControl: "no-store"],
                body: .stream { writer in try await files.stream { bytes in try await writer.write(bytes) } }
            )
        }
        routes.get("/agent/v1/jobs/:job/model", access: .jobToken) { request in
            let model = try await environment.requirePlatform().models.replicaModel(try request.requireJob())
            return Response(
                headerFields: [.contentType: "application/octet-stream", .contentLength: String(model.sizeBytes), .cacheControl: "no-store"],
                body: .stream { writer in try await model.stream { bytes in try await writer.write(bytes) } }
            )
        }
        routes.post("/agent/v1/runs/:run/params", access: .jobToken) { request in
            guard let run = UUID(uuidString: try request.segment("run")) else { throw PlatformError.notFound("No such run") }
            let body = try await request.decodeJSON(RunParametersBody.self, maximumSize: maximumJSONSize)
            try await environment.requirePlatform().runs.logParameters(run: run, params: body.params ?? [:], tags: body.tags ?? [:], scope: try request.requireJob())
            return Response(status: .noContent)
        }
        routes.post("/agent/v1/jobs/:job/gang", access: .jobToken) { request in
            let services = try environment.requireComputeAgents()
            return try json(try await services.dispatcher.gangStatus(try request.requireJob()))
        }
    }


    private static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        var response = Response.json(Array(try AgentProtocol.encoder.encode(value)), status: status)
        response.headerFields[.cacheControl] = "no-store"
        return response
    }
}

extension Request {
    /// The agent ``AccessMiddleware`` authenticated.
    func requireAgent() throws -> AgentIdentity {
        guard case .agent(let agent) = principal else { throw HTTPError(.unauthorized, "Agent credential required") }
        return agent
    }

    /// The job attempt whose token ``AccessMiddleware`` checked.
    func requireJob() throws -> JobTokenScope {
        guard case .job(let scope) = principal else { throw HTTPError(.unauthorized, "Job token required") }
        return scope
    }
}

extension PortalEnvironment {
    /// The compute-agents services; 503 when this portal runs without them.
    func requireComputeAgents() throws -> ComputeAgentsServices {
        guard let computeAgents else { throw HTTPError(.serviceUnavailable, "Compute agents and jobs are not enabled on this server") }
        return computeAgents
    }
}

/// `POST /agent/v1/runs/:run/params`: names and values to merge into the run (strings; numbers are sent as text).
struct RunParametersBody: Decodable {
    var params: [String: String]?
    var tags: [String: String]?
}
