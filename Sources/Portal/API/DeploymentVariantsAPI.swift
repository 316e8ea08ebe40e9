import ComputeAgents
import Foundation
import HTTPTypes
import Platform
import Tenancy
import WebServer

/// Changing a running deployment: `POST /api/v1/deployments/:deployment/variants` adds a variant (with no traffic),
/// `PUT …/variants/:variant` rolls a variant out to another model version without dropping a prediction,
/// `PUT …/payload-logging` sets the share of requests stored, `GET …/payloads` reads them.
enum DeploymentVariantsAPI {
    /// Registers the routes, each with its access rule and documentation.
    static func add(to routes: inout PortalRoutes, environment: PortalEnvironment) {
        routes.add(
            .post, "/api/v1/deployments/:deployment/variants", access: .permission(.deploymentsWrite),
            documentation: APIDocumentation(
                summary: "Adds a variant (a model version or alias, replicas) with no traffic and starts its replicas; give it traffic with "
                    + "PUT …/traffic or a canary, or make it a shadow (\"shadow\": true) that answers a copy of every request, logged only",
                requestSchema: AddVariantRequest.schema, responseSchema: DeploymentJSON.schema, successStatus: 201)
        ) { request in
            let body: AddVariantRequest = try await request.decodeJSON()
            let context = try request.requireContext()
            let deployment = try await environment.requirePlatform().deployments.addVariant(
                VariantForm(
                    name: body.name, model: body.model, version: body.version, alias: body.alias, weight: 0, replicas: body.replicas ?? 1,
                    cpuMillis: body.cpuMillis ?? 500, shadow: body.shadow ?? false),
                deployment: try request.segment("deployment"), jobs: try environment.requireComputeAgents().jobs, quota: JobsAPI.quota(for: context), context: context)
            return try APIResponse.json(DeploymentJSON(deployment), status: .created)
        }

        routes.add(
            .put, "/api/v1/deployments/:deployment/variants/:variant", access: .permission(.deploymentsWrite),
            documentation: APIDocumentation(
                summary: "Rolls a variant out to another model version ({\"version\": 2} or {\"alias\": \"champion\"}): new replicas start next to the old, "
                    + "the variant switches once they all serve, and the old replicas drain before they stop; 202 while it runs (see rollout_version)",
                requestSchema: Schema.object(["version": Schema.integer, "alias": Schema.string()]), responseSchema: DeploymentJSON.schema, successStatus: 202)
        ) { request in
            let body: RolloutRequest = try await request.decodeJSON()
            let context = try request.requireContext()
            let deployment = try await environment.requirePlatform().deployments.rollOut(
                variant: try request.segment("variant"), version: body.version, alias: body.alias, deployment: try request.segment("deployment"),
                jobs: try environment.requireComputeAgents().jobs, quota: JobsAPI.quota(for: context), context: context)
            return try APIResponse.json(DeploymentJSON(deployment), status: .accepted)
        }

        routes.add(
            .put, "/api/v1/deployments/:deployment/payload-logging", access: .permission(.deploymentsWrite),
            documentation: APIDocumentation(
                summary: "Stores the inputs and outputs of a share of the predictions ({\"sample_percent\": 10}; 0 turns it off) for monitoring; inputs the "
                    + "project's feature catalog marks sensitive are left out; stored payloads expire under the retention policy 'prediction_payloads'",
                requestSchema: Schema.object(["sample_percent": ["type": "number"]], required: ["sample_percent"]), responseSchema: DeploymentJSON.schema)
        ) { request in
            struct Body: Decodable {
                var samplePercent: Double
                enum CodingKeys: String, CodingKey { case samplePercent = "sample_percent" }
            }
            let body: Body = try await request.decodeJSON()
            let deployment = try await environment.requirePlatform().deployments.setPayloadSampling(
                body.samplePercent, deployment: try request.segment("deployment"), context: try request.requireContext())
            return try APIResponse.json(DeploymentJSON(deployment))
        }

        routes.get(
            "/api/v1/deployments/:deployment/payloads", access: .permission(.deploymentsRead),
            documentation: APIDocumentation(
                summary: "The most recent stored prediction payloads, newest first (query limit, at most 500; default 50)",
                responseSchema: ItemsJSON<PayloadJSON>.schema(PayloadJSON.schema))
        ) { request in
            let payloads = try await environment.requirePlatform().deployments.payloads(
                try request.segment("deployment"), limit: Int(request.query("limit") ?? "") ?? 50, context: try request.requireContext())
            return try APIResponse.json(ItemsJSON(items: payloads.map(PayloadJSON.init)))
        }
    }
}

/// A stored prediction payload as the API shows it.
struct PayloadJSON: Encodable {
    var requestId: String
    var variant: String
    var status: Int
    var request: JSONValue
    var response: JSONValue?
    var excluded: [String]
    var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case variant, status, request, response, excluded
        case requestId = "request_id", createdAt = "created_at"
    }

    init(_ payload: PredictionPayload) {
        let decoder = JSONDecoder()
        (requestId, variant, status, excluded, createdAt) = (payload.requestID, payload.variant, payload.status, payload.excluded, payload.createdAt)
        request = (try? decoder.decode(JSONValue.self, from: Data(payload.request.utf8))) ?? .null
        response = payload.response.flatMap { try? decoder.decode(JSONValue.self, from: Data($0.utf8)) }
    }

    static let schema = Schema.object([
        "request_id": Schema.string(), "variant": Schema.string(), "status": Schema.integer, "request": ["type": "object", "description": "{\"rows\": […]} without the excluded inputs"],
        "response": ["type": ["object", "null"]], "excluded": Schema.array(Schema.string()), "created_at": Schema.dateTime,
    ])
}

/// `POST /api/v1/deployments/:deployment/variants`.
struct AddVariantRequest: Decodable {
    var name: String
    var model: String
    var version: Int?
    var alias: String?
    var replicas: Int?
    var cpuMillis: Int?
    var shadow: Bool?

    enum CodingKeys: String, CodingKey {
        case name, model, version, alias, replicas, shadow
        case cpuMillis = "cpu_millis"
    }

    static let schema = Schema.object(
        [
            "name": Schema.string(), "model": Schema.string(), "version": Schema.integer, "alias": Schema.string(), "replicas": Schema.integer,
            "cpu_millis": Schema.integer, "shadow": ["type": "boolean", "description": "A copy of every request instead of a share"],
        ], required: ["name", "model"])
}

/// `PUT /api/v1/deployments/:deployment/variants/:variant`.
struct RolloutRequest: Decodable {
    var version: Int?
    var alias: String?
}
