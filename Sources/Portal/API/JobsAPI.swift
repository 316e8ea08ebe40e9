import Billing
import ComputeAgents
import Foundation
import HTTPTypes
import Tenancy
import WebServer

/// `/api/v1/jobs`: submit, list, inspect, cancel, follow the log, download artifacts.
enum JobsAPI {
    /// The 404 message for unknown ids and ids that are not UUIDs.
    static let notFound = "No job with that id"

    /// Registers the routes, each with its access rule and documentation.
    static func add(to routes: inout PortalRoutes, environment: PortalEnvironment) {
        routes.add(
            .post, "/api/v1/jobs", access: .permission(.jobsWrite),
            documentation: APIDocumentation(
                summary: "Queues a job; plan limits (active jobs, GPUs, nodes) and the residency policy are checked first",
                requestSchema: SubmitJobRequest.schema, responseSchema: JobJSON.schema, successStatus: 201
            ),
            maxBodySize: APIBody.maximumSize
        ) { request in
            let context = try request.requireContext()
            let body: SubmitJobRequest = try await request.decodeJSON()
            let job = try await submit(try body.submission(), services: try environment.requireComputeAgents(), context: context)
            return try APIResponse.json(JobJSON(job), status: .created)
        }

        routes.get(
            "/api/v1/jobs", access: .permission(.jobsRead),
            documentation: APIDocumentation(
                summary: "The organisation's jobs, newest first (at most 500); `?state=queued|leased|running|succeeded|failed|cancelled` filters",
                responseSchema: ItemsJSON<JobJSON>.schema(JobJSON.schema)
            )
        ) { request in
            let state = try stateFilter(request.query("state"))
            let jobs = try await environment.requireComputeAgents().jobs.list(state: state, limit: 500, context: try request.requireContext())
            return try APIResponse.json(ItemsJSON(items: jobs.map(JobJSON.init)))
        }

        routes.get(
            "/api/v1/jobs/:id", access: .permission(.jobsRead),
            documentation: APIDocumentation(
                summary: "One job with its placement note, attempts, events, latest metrics and artifacts",
                responseSchema: JobDetailJSON.schema
            )
        ) { request in
            let detail = try await environment.requireComputeAgents().jobs.detail(try request.pathID(notFound: notFound), context: try request.requireContext())
            return try APIResponse.json(JobDetailJSON(detail))
        }

        routes.post(
            "/api/v1/jobs/:id/cancel", access: .permission(.jobsWrite),
            documentation: APIDocumentation(
                summary: "Cancels a job: a queued one at once, a running one on its node at the next heartbeat; 409 when it has ended",
                responseSchema: JobJSON.schema
            )
        ) { request in
            let job = try await environment.requireComputeAgents().jobs.cancel(try request.pathID(notFound: notFound), context: try request.requireContext())
            return try APIResponse.json(JobJSON(job))
        }

        routes.get(
            "/api/v1/jobs/:id/logs", access: .permission(.jobsRead),
            documentation: APIDocumentation(
                summary: "The log as text/plain; with `Accept: text/event-stream`, server-sent events that follow it live and end with an `end` event",
                responseSchema: Schema.string("The log text (or an event stream whose data are JSON strings)")
            )
        ) { request in
            let id = try request.pathID(notFound: notFound)
            return try await JobLogStream.response(request, job: id, jobs: try environment.requireComputeAgents().jobs, context: try request.requireContext())
        }

        routes.get(
            "/api/v1/jobs/:id/artifacts/**", access: .permission(.jobsRead),
            documentation: APIDocumentation(
                summary: "Downloads an artifact (decrypted, application/octet-stream); the path follows `artifacts/`",
                responseSchema: ["type": "string", "format": "binary"]
            )
        ) { request in
            let id = try request.pathID(notFound: notFound)
            let path = request.pathSegments.dropFirst(5).joined(separator: "/")
            return try await artifact(id, path: path, jobs: try environment.requireComputeAgents().jobs, context: try request.requireContext())
        }
    }

    /// Submits with the tenant's plan limits as the quota; field errors name the API's snake_case fields.
    static func submit(_ submission: JobSubmission, services: ComputeAgentsServices, context: RequestContext) async throws -> JobSummary {
        do {
            return try await services.jobs.submit(submission, quota: quota(for: context), context: context)
        } catch let error as ComputeAgentsError {
            throw JobsJSON.apiFieldErrors(error)
        }
    }

    /// The job quota of the organisation's plan (see ``PlanLimits``).
    static func quota(for context: RequestContext) -> JobQuota { quota(plan: context.tenant.plan) }

    /// The job quota of a plan (see ``PlanLimits``): an unknown plan gets the free plan's.
    static func quota(plan: String) -> JobQuota {
        let limits = PlanLimits.forPlan(plan)
        return JobQuota(maximumActiveJobs: limits.maximumActiveJobs, isGPUAllowed: limits.isGPUAllowed, maximumNodes: limits.maximumNodesPerJob)
    }

    /// `?state=`: nil when absent or empty; a field error for a word that is not a state.
    static func stateFilter(_ text: String?) throws -> JobState? {
        guard let text, !text.isEmpty else { return nil }
        guard let state = JobState(rawValue: text) else {
            let states = JobState.allCases.map(\.rawValue).joined(separator: ", ")
            throw ComputeAgentsError.invalid(field: "state", "'\(String(text.prefix(20)))' is not a job state; use one of \(states)")
        }
        return state
    }

    /// The API path of an artifact, each path segment percent-encoded.
    static func artifactPath(job: UUID, path: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded = path.split(separator: "/").map { $0.addingPercentEncoding(withAllowedCharacters: allowed) ?? "" }.joined(separator: "/")
        return "/api/v1/jobs/\(job.uuidString.lowercased())/artifacts/\(encoded)"
    }

    /// Streams an artifact as an attachment with its length known up front; an unknown path is a 404 before anything
    /// is sent.
    static func artifact(_ id: UUID, path: String, jobs: JobQueue, context: RequestContext) async throws -> Response {
        let detail = try await jobs.detail(id, context: context)
        guard let stored = detail.artifacts.last(where: { $0.path == path }) else {
            throw ComputeAgentsError.notFound("This job has no artifact '\(String(path.prefix(200)))'")
        }
        let name = String(path.split(separator: "/").last ?? "artifact")
        let asciiName = String(name.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && !"\"\\;".unicodeScalars.contains($0) ? Character($0) : "_" })
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encodedName = name.addingPercentEncoding(withAllowedCharacters: allowed) ?? asciiName
        return Response(
            headerFields: [
                .contentType: "application/octet-stream", .contentLength: String(stored.sizeBytes), .cacheControl: "no-store",
                HTTPField.Name("Content-Disposition")!: "attachment; filename=\"\(asciiName)\"; filename*=UTF-8''\(encodedName)",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            ],
            body: .stream { writer in
                _ = try await jobs.readArtifact(id, path: path, context: context) { bytes in try await writer.write(bytes) }
            }
        )
    }

    /// The compute-agents services, or 503 where this server runs without them.
}
