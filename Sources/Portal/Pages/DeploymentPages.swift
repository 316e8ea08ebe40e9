import ComputeAgents
import Foundation
import HTTPTypes
import Platform
import Tabular
import Tenancy
import WebServer

/// The serving pages: the organisation's deployments, one deployment (variants, weights, replicas and whether each
/// serves, a "try it" form built from the model's inputs, stop), and "Deploy" from a model version.
enum DeploymentPages {
    /// Adds the routes.
    static func add(to routes: inout PortalRoutes, pages: Pages) {
        routes.get("/app/deployments", access: .permission(.deploymentsRead)) { request in
            let context = try request.requireContext()
            let deployments = try await pages.environment.requirePlatform().deployments.list(context: context)
            let view: [String: Any] = ["deployments": deployments.map(DeploymentViews.row), "hasDeployments": !deployments.isEmpty]
            return await pages.render("deployments", request, title: "Deployments", view)
        }

        routes.get("/app/deployments/:deployment", access: .permission(.deploymentsRead)) { request in
            try await deploymentPage(request, pages: pages, [:])
        }

        routes.post("/app/deployments/:deployment/try", access: .permission(.predict)) { request in
            let name = try request.segment("deployment")
            let context = try request.requireContext()
            let platform = try pages.environment.requirePlatform()
            let deployment = try await platform.deployments.get(name, context: context)
            let inputs = try await DeploymentViews.inputs(of: deployment, platform: platform, context: context)
            let row = DeploymentViews.row(from: request.form, inputs: inputs)
            let body = Array(try JSONSerialization.data(withJSONObject: ["rows": [row]]))
            var extra: [String: Any] = [:]
            do {
                let answer = try await PredictionGateway.shared.forward(
                    name, body: body, routingKey: nil, requestID: request.id, platform: platform, context: context)
                extra["tryResult"] = DeploymentViews.result(answer.body, status: answer.status)
            } catch let error as HTTPError {
                extra["tryResult"] = ["isError": true, "text": error.publicMessage]
            }
            return try await deploymentPage(request, pages: pages, extra, values: Dictionary(uniqueKeysWithValues: inputs.map { ($0.name, request.form[$0.name]) }))
        }

        routes.post("/app/deployments/:deployment/traffic", access: .permission(.deploymentsWrite)) { request in
            let name = try request.segment("deployment")
            let context = try request.requireContext()
            let platform = try pages.environment.requirePlatform()
            let deployment = try await platform.deployments.get(name, context: context)
            var weights: [String: Int] = [:]
            for variant in deployment.variants { weights[variant.name] = Int(request.form["weight_" + variant.name].trimmingCharacters(in: .whitespaces)) ?? -1 }
            do {
                _ = try await platform.deployments.setTraffic(weights, reason: request.form["reason"], deployment: name, context: context)
                return Pages.redirect("/app/deployments/\(name)")
            } catch let error as PlatformError where error.status != .notFound {
                return try await deploymentPage(request, pages: pages, ["trafficError": error.description])
            }
        }

        routes.post("/app/deployments/:deployment/rollback", access: .permission(.deploymentsWrite)) { request in
            let name = try request.segment("deployment")
            do {
                _ = try await pages.environment.requirePlatform().deployments.rollback(name, reason: request.form["reason"], context: try request.requireContext())
                return Pages.redirect("/app/deployments/\(name)")
            } catch let error as PlatformError where error.status != .notFound {
                return try await deploymentPage(request, pages: pages, ["trafficError": error.description])
            }
        }

        routes.post("/app/deployments/:deployment/stop", access: .permission(.deploymentsWrite)) { request in
            let name = try request.segment("deployment")
            _ = try await pages.environment.requirePlatform().deployments.stop(
                name, jobs: try pages.environment.requireComputeAgents().jobs, context: try request.requireContext())
            return Pages.redirect("/app/deployments/\(name)")
        }

        routes.post("/app/projects/:project/models/:model/deploy", access: .permission(.deploymentsWrite)) { request in
            let (project, model) = (try request.segment("project"), try request.segment("model"))
            let form = request.form
            let context = try request.requireContext()
            let variant = VariantForm(name: "main", model: model, version: Int(form["version"]), weight: 100, replicas: max(1, Int(form["replicas"]) ?? 1))
            do {
                let deployment = try await pages.environment.requirePlatform().deployments.create(
                    DeploymentForm(name: form["name"], variants: [variant]), project: project, jobs: try pages.environment.requireComputeAgents().jobs,
                    quota: JobsAPI.quota(for: context), context: context)
                return Pages.redirect("/app/deployments/\(deployment.name)")
            } catch let error as PlatformError where error.status != .notFound {
                return try await ModelPages.modelPage(request, pages: pages, ["deployError": error.description], status: error.status)
            } catch let error as ComputeAgentsError {
                return try await ModelPages.modelPage(request, pages: pages, ["deployError": error.description], status: error.status)
            }
        }
    }

    static func deploymentPage(_ request: Request, pages: Pages, _ extra: [String: Any], values: [String: String] = [:]) async throws -> Response {
        let context = try request.requireContext()
        let platform = try pages.environment.requirePlatform()
        let deployment = try await platform.deployments.get(try request.segment("deployment"), context: context)
        let inputs = try await DeploymentViews.inputs(of: deployment, platform: platform, context: context)
        var view = DeploymentViews.detail(deployment, inputs: inputs, values: values, canSeeJobs: context.allows(.jobsRead))
        let history = try await platform.deployments.history(deployment.name, context: context)
        view["history"] = history.reversed().map { revision -> [String: Any] in
            [
                "revision": revision.revision, "reason": revision.reason, "created": Pages.format(revision.createdAt),
                "weights": revision.weights.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)%" }.joined(separator: " · "),
            ]
        }
        view["canRollback"] = context.allows(.deploymentsWrite) && deployment.state == "active" && history.count >= 2
        view["canary"] = CanaryPages.view(try await platform.deployments.canaries(deployment.name, context: context), deployment: deployment)
        await platform.predictionLog.flush()  // so a prediction just tried here is counted
        view["recent"] = DeploymentVariantPages.payloads(try await platform.deployments.payloads(deployment.name, limit: 10, context: context), deployment: deployment)
        view["results"] = DeploymentViews.results(try await platform.deployments.results(deployment.name, context: context))
        view["charts"] = DeploymentViews.charts(try await platform.deployments.timeline(deployment.name, context: context))
        view["canTry"] = context.allows(.predict) && deployment.state == "active" && !inputs.isEmpty
        view["canStop"] = context.allows(.deploymentsWrite) && deployment.state == "active"
        view["baseURL"] = Pages.baseURL(request)
        return await pages.render("deployment", request, title: "\(deployment.name) — Deployments", Pages.merge(view, extra))
    }
}
