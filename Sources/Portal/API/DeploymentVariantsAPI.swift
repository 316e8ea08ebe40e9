import ComputeAgents
import Foundation
import HTTPTypes
import Platform
import Tenancy
import WebServer

/// Changing a running deployment's variants: `POST /api/v1/deployments/:deployment/variants` adds one (with no traffic),
/// `PUT …/variants/:variant` rolls a variant out to another model version without dropping a prediction.
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
    }
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
