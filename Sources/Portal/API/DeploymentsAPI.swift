import ComputeAgents
import Foundation
import HTTPTypes
import Platform
import Tenancy
import WebServer

/// Deployments (`/api/v1/projects/:project/deployments`, `/api/v1/deployments/…`) and the prediction gateway
/// (`/v1/predict/:deployment`).
enum DeploymentsAPI {
    /// Registers the routes, each with its access rule and documentation.
    static func add(to routes: inout PortalRoutes, environment: PortalEnvironment) {
        let gateway = PredictionGateway.shared
        routes.add(
            .post, "/v1/predict/:deployment", access: .permission(.predict),
            documentation: APIDocumentation(
                summary: "Predicts with a deployment: {\"rows\": [{input: value}]} → predictions with the variant, model version and request id; "
                    + "X-Falaj-Routing-Key keeps a caller on one variant; 400 names each bad field, 503 while no replica is ready, 504 on a slow model",
                requestSchema: Schema.object(["rows": Schema.array(["type": "object"])], required: ["rows"]),
                responseSchema: Schema.object([
                    "variant": Schema.string(), "request_id": Schema.string(), "model": Schema.string(), "version": Schema.integer,
                    "predictions": Schema.array(Schema.object(["label": Schema.string(), "value": ["type": "number"], "probabilities": ["type": "object"]])),
                ])
            ), maxBodySize: PredictionGateway.maximumBodySize
        ) { request in
            try await gateway.predict(request, platform: try environment.requirePlatform())
        }

        routes.add(
            .post, "/api/v1/projects/:project/deployments", access: .permission(.deploymentsWrite),
            documentation: APIDocumentation(
                summary: "Deploys registered model versions as a prediction endpoint: variants with weights (summing to 100) and replicas on agents",
                requestSchema: CreateDeploymentRequest.schema, responseSchema: DeploymentJSON.schema, successStatus: 201)
        ) { request in
            let body: CreateDeploymentRequest = try await request.decodeJSON()
            let context = try request.requireContext()
            let deployment = try await environment.requirePlatform().deployments.create(
                body.form, project: try request.segment("project"), jobs: try environment.requireComputeAgents().jobs, quota: JobsAPI.quota(for: context),
                context: context)
            return try APIResponse.json(DeploymentJSON(deployment), status: .created)
        }

        routes.get(
            "/api/v1/deployments", access: .permission(.deploymentsRead),
            documentation: APIDocumentation(summary: "The organisation's deployments with variants and replicas", responseSchema: ItemsJSON<DeploymentJSON>.schema(DeploymentJSON.schema))
        ) { request in
            let deployments = try await environment.requirePlatform().deployments.list(context: try request.requireContext())
            return try APIResponse.json(ItemsJSON(items: deployments.map(DeploymentJSON.init)))
        }

        routes.get(
            "/api/v1/deployments/:deployment", access: .permission(.deploymentsRead),
            documentation: APIDocumentation(summary: "One deployment: variants, weights, replicas and whether each serves", responseSchema: DeploymentJSON.schema)
        ) { request in
            let deployment = try await environment.requirePlatform().deployments.get(try request.segment("deployment"), context: try request.requireContext())
            return try APIResponse.json(DeploymentJSON(deployment))
        }

        routes.add(
            .post, "/api/v1/deployments/:deployment/stop", access: .permission(.deploymentsWrite),
            documentation: APIDocumentation(summary: "Stops a deployment: its replicas are cancelled and the endpoint answers 503", responseSchema: DeploymentJSON.schema)
        ) { request in
            let deployment = try await environment.requirePlatform().deployments.stop(
                try request.segment("deployment"), jobs: try environment.requireComputeAgents().jobs, context: try request.requireContext())
            return try APIResponse.json(DeploymentJSON(deployment))
        }
    }
}

/// `POST /api/v1/projects/:project/deployments`.
struct CreateDeploymentRequest: Decodable {
    struct Variant: Decodable {
        var name: String
        var model: String
        var version: Int?
        var alias: String?
        var weight: Int
        var replicas: Int?
    }

    var name: String
    var description: String?
    var variants: [Variant]

    var form: DeploymentForm {
        DeploymentForm(
            name: name, description: description ?? "",
            variants: variants.map { VariantForm(name: $0.name, model: $0.model, version: $0.version, alias: $0.alias, weight: $0.weight, replicas: $0.replicas ?? 1) })
    }

    static let schema = Schema.object(
        [
            "name": Schema.string("The endpoint's name (/v1/predict/<name>), unique in the organisation"), "description": Schema.string(),
            "variants": Schema.array(
                Schema.object(
                    [
                        "name": Schema.string(), "model": Schema.string("A registered model of the project"), "version": Schema.integer,
                        "alias": Schema.string("Instead of a version, e.g. champion"), "weight": Schema.integer, "replicas": Schema.integer,
                    ],
                    required: ["name", "model", "weight"])),
        ],
        required: ["name", "variants"]
    )
}

/// A deployment as the API shows it.
struct DeploymentJSON: Encodable {
    struct Replica: Encodable {
        var job: UUID
        var state: String
        var url: String?
        var serving: Bool
    }

    struct Variant: Encodable {
        var name: String
        var model: String
        var version: Int
        var weight: Int
        var replicas: [Replica]
    }

    var name: String
    var project: String
    var description: String
    var state: String
    var variants: [Variant]
    var endpoint: String

    init(_ deployment: Deployment) {
        (name, project, description, state) = (deployment.name, deployment.project, deployment.description, deployment.state)
        endpoint = "/v1/predict/\(deployment.name)"
        variants = deployment.variants.map { variant in
            Variant(
                name: variant.name, model: variant.model, version: variant.version, weight: variant.weight,
                replicas: variant.replicas.map { Replica(job: $0.jobID, state: $0.state.rawValue, url: $0.url, serving: $0.isServing) })
        }
    }

    static let schema = Schema.object([
        "name": Schema.string(), "project": Schema.string(), "description": Schema.string(), "state": ["type": "string", "enum": ["active", "stopped"]],
        "endpoint": Schema.string(),
        "variants": Schema.array(
            Schema.object([
                "name": Schema.string(), "model": Schema.string(), "version": Schema.integer, "weight": Schema.integer,
                "replicas": Schema.array(Schema.object(["job": Schema.uuid, "state": Schema.string(), "url": ["type": ["string", "null"]], "serving": Schema.boolean])),
            ])),
    ])
}
