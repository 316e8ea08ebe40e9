import ComputeAgents
import Foundation
import HTTPTypes
import Learning
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
            .post, "/v1/feedback/:request_id", access: .permission(.predict),
            documentation: APIDocumentation(
                summary: "Feeds back what really happened for an answered prediction: {\"label\": \"true\"} (the true class) or {\"value\": 12.5} "
                    + "(a business outcome); A/B results compare the variants on it",
                requestSchema: Schema.object(["label": Schema.string(), "value": ["type": "number"]]), successStatus: 204)
        ) { request in
            let body: FeedbackRequest = try await request.decodeJSON()
            guard let id = request.parameters["request_id"], !id.isEmpty, id.utf8.count <= 100 else { throw PlatformError.notFound("No such request") }
            let platform = try environment.requirePlatform()
            try await platform.deployments.feedback(
                requestID: id, label: body.label, value: body.value, log: platform.predictionLog, context: try request.requireContext())
            return Response(status: .noContent)
        }

        routes.get(
            "/api/v1/deployments/:deployment/results", access: .permission(.deploymentsRead),
            documentation: APIDocumentation(
                summary: "Per-variant requests, errors, latency and feedback, and each variant against the control (the largest weight): "
                    + "accuracy by a two-proportion z-test, mean outcome by Welch's t-test, with 95% intervals and the labels still needed",
                responseSchema: DeploymentResultsJSON.schema)
        ) { request in
            let results = try await environment.requirePlatform().deployments.results(try request.segment("deployment"), context: try request.requireContext())
            return try APIResponse.json(DeploymentResultsJSON(results))
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
            .put, "/api/v1/deployments/:deployment/traffic", access: .permission(.deploymentsWrite),
            documentation: APIDocumentation(
                summary: "Moves traffic between the variants ({\"weights\": {\"a\": 90, \"b\": 10}, \"reason\": …}, summing to 100); a new revision, audited",
                requestSchema: TrafficRequest.schema, responseSchema: DeploymentJSON.schema)
        ) { request in
            let body: TrafficRequest = try await request.decodeJSON()
            let deployment = try await environment.requirePlatform().deployments.setTraffic(
                body.weights, reason: body.reason ?? "", deployment: try request.segment("deployment"), context: try request.requireContext())
            return try APIResponse.json(DeploymentJSON(deployment))
        }

        routes.add(
            .post, "/api/v1/deployments/:deployment/rollback", access: .permission(.deploymentsWrite),
            documentation: APIDocumentation(
                summary: "Restores the traffic of the revision before the current one (409 when there is none); audited",
                requestSchema: Schema.object(["reason": Schema.string()]), responseSchema: DeploymentJSON.schema)
        ) { request in
            let body: ReviewRequest = try await request.decodeJSON()
            let deployment = try await environment.requirePlatform().deployments.rollback(
                try request.segment("deployment"), reason: body.reason ?? "", context: try request.requireContext())
            return try APIResponse.json(DeploymentJSON(deployment))
        }

        routes.get(
            "/api/v1/deployments/:deployment/history", access: .permission(.deploymentsRead),
            documentation: APIDocumentation(summary: "Every traffic revision, oldest first, with its reason and author", responseSchema: ItemsJSON<RevisionJSON>.schema(RevisionJSON.schema))
        ) { request in
            let history = try await environment.requirePlatform().deployments.history(try request.segment("deployment"), context: try request.requireContext())
            return try APIResponse.json(ItemsJSON(items: history.map(RevisionJSON.init)))
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
