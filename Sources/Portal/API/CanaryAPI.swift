import Foundation
import HTTPTypes
import Platform
import Tenancy
import WebServer

/// Canary rollouts of a deployment: `POST /api/v1/deployments/:deployment/canary` begins one,
/// `POST …/canary/abort` ends it and restores the traffic before it, `GET …/canaries` lists them with the running
/// one's figures. The serving controller advances, completes or rolls back a running canary on its own.
enum CanaryAPI {
    /// Registers the routes, each with its access rule and documentation.
    static func add(to routes: inout PortalRoutes, environment: PortalEnvironment) {
        routes.add(
            .post, "/api/v1/deployments/:deployment/canary", access: .permission(.deploymentsWrite),
            documentation: APIDocumentation(
                summary: "Begins a canary: the candidate variant takes each step's share of the traffic (\"steps\": [10, 50, 100]) for bake_seconds, and "
                    + "is rolled back automatically when its error rate passes max_error_rate or its p99 passes max_p99_ms (judged once min_requests "
                    + "answers are in); 409 while one runs",
                requestSchema: CanaryRequest.schema, responseSchema: CanaryJSON.schema, successStatus: 201)
        ) { request in
            let body: CanaryRequest = try await request.decodeJSON()
            let canary = try await environment.requirePlatform().deployments.startCanary(
                body.form, deployment: try request.segment("deployment"), context: try request.requireContext())
            return try APIResponse.json(CanaryJSON(canary), status: .created)
        }

        routes.add(
            .post, "/api/v1/deployments/:deployment/canary/abort", access: .permission(.deploymentsWrite),
            documentation: APIDocumentation(
                summary: "Ends the running canary and restores the traffic from before it (409 when none runs); audited",
                requestSchema: Schema.object(["reason": Schema.string()]), responseSchema: CanaryJSON.schema)
        ) { request in
            let body: ReviewRequest = try await request.decodeJSON()
            let canary = try await environment.requirePlatform().deployments.abortCanary(
                try request.segment("deployment"), reason: body.reason ?? "", context: try request.requireContext())
            return try APIResponse.json(CanaryJSON(canary))
        }

        routes.get(
            "/api/v1/deployments/:deployment/canaries", access: .permission(.deploymentsRead),
            documentation: APIDocumentation(
                summary: "The deployment's canaries, newest first: steps, guardrails, state and why it ended; the running one with its candidate's "
                    + "answers, errors and p99 in the current step",
                responseSchema: ItemsJSON<CanaryJSON>.schema(CanaryJSON.schema))
        ) { request in
            let canaries = try await environment.requirePlatform().deployments.canaries(try request.segment("deployment"), context: try request.requireContext())
            return try APIResponse.json(ItemsJSON(items: canaries.map(CanaryJSON.init)))
        }
    }
}

/// `POST /api/v1/deployments/:deployment/canary`.
struct CanaryRequest: Decodable {
    var candidate: String
    var baseline: String?
    var steps: [Int]?
    var bakeSeconds: Int?
    var maxErrorRate: Double?
    var maxP99Ms: Double?
    var minRequests: Int?

    enum CodingKeys: String, CodingKey {
        case candidate, baseline, steps
        case bakeSeconds = "bake_seconds", maxErrorRate = "max_error_rate", maxP99Ms = "max_p99_ms", minRequests = "min_requests"
    }

    var form: CanaryForm {
        let defaults = CanaryForm(candidate: candidate)
        return CanaryForm(
            candidate: candidate, baseline: baseline, steps: steps ?? defaults.steps, bakeSeconds: bakeSeconds ?? defaults.bakeSeconds,
            maxErrorRate: maxErrorRate ?? defaults.maxErrorRate, maxP99Milliseconds: maxP99Ms, minRequests: minRequests ?? defaults.minRequests)
    }

    static let schema = Schema.object(
        [
            "candidate": Schema.string(), "baseline": Schema.string(), "steps": Schema.array(Schema.integer), "bake_seconds": Schema.integer,
            "max_error_rate": ["type": "number"], "max_p99_ms": ["type": "number"], "min_requests": Schema.integer,
        ], required: ["candidate"])
}

/// A canary as the API shows it.
struct CanaryJSON: Encodable {
    struct Figures: Encodable {
        var requests: Int
        var errors: Int
        var errorRate: Double
        var p99Ms: Double?
        var elapsedSeconds: Double

        enum CodingKeys: String, CodingKey {
            case requests, errors
            case errorRate = "error_rate", p99Ms = "p99_ms", elapsedSeconds = "elapsed_seconds"
        }
    }

    var id: UUID
    var candidate: String
    var baseline: String
    var steps: [Int]
    var bakeSeconds: Int
    var maxErrorRate: Double
    var maxP99Ms: Double?
    var minRequests: Int
    var step: Int
    var share: Int
    var stepStartedAt: Date
    var state: String
    var reason: String
    var createdBy: String
    var createdAt: Date
    var finishedAt: Date?
    var current: Figures?

    enum CodingKeys: String, CodingKey {
        case id, candidate, baseline, steps, step, share, state, reason, current
        case bakeSeconds = "bake_seconds", maxErrorRate = "max_error_rate", maxP99Ms = "max_p99_ms", minRequests = "min_requests"
        case stepStartedAt = "step_started_at", createdBy = "created_by", createdAt = "created_at", finishedAt = "finished_at"
    }

    init(_ canary: Canary) {
        (id, candidate, baseline, steps, bakeSeconds) = (canary.id, canary.candidate, canary.baseline, canary.steps, canary.bakeSeconds)
        (maxErrorRate, maxP99Ms, minRequests, step, share) = (canary.maxErrorRate, canary.maxP99Milliseconds, canary.minRequests, canary.step, canary.share)
        (stepStartedAt, state, reason, createdBy, createdAt, finishedAt) = (canary.stepStartedAt, canary.state, canary.reason, canary.createdBy, canary.createdAt, canary.finishedAt)
        current = canary.stepFigures.map {
            Figures(requests: $0.requests, errors: $0.errors, errorRate: $0.errorRate, p99Ms: $0.p99Milliseconds, elapsedSeconds: $0.elapsedSeconds)
        }
    }

    static let schema = Schema.object([
        "id": Schema.uuid, "candidate": Schema.string(), "baseline": Schema.string(), "steps": Schema.array(Schema.integer), "bake_seconds": Schema.integer,
        "max_error_rate": ["type": "number"], "max_p99_ms": ["type": ["number", "null"]], "min_requests": Schema.integer, "step": Schema.integer,
        "share": Schema.integer, "step_started_at": Schema.dateTime, "state": ["type": "string", "enum": ["running", "completed", "rolled_back", "aborted"]],
        "reason": Schema.string(), "created_by": Schema.string(), "created_at": Schema.dateTime, "finished_at": ["type": ["string", "null"], "format": "date-time"],
        "current": ["type": ["object", "null"], "description": "requests, errors, error_rate, p99_ms, elapsed_seconds in the current step"],
    ])
}
