import ComputeAgents
import Foundation
import HTTPTypes
import Platform
import Tenancy
import WebServer

/// Changing a deployment from its page: add a variant (no traffic until given some), roll a variant out to another
/// model version, and set the share of predictions whose payloads are stored (shown in "Recent predictions").
enum DeploymentVariantPages {
    /// Adds the routes.
    static func add(to routes: inout PortalRoutes, pages: Pages) {
        routes.post("/app/deployments/:deployment/variants", access: .permission(.deploymentsWrite)) { request in
            let name = try request.segment("deployment")
            let form = request.form
            let context = try request.requireContext()
            let variant = VariantForm(
                name: form["variant_name"].trimmingCharacters(in: .whitespaces), model: form["variant_model"].trimmingCharacters(in: .whitespaces),
                version: Int(form["variant_version"].trimmingCharacters(in: .whitespaces)), weight: 0,
                replicas: Int(form["variant_replicas"].trimmingCharacters(in: .whitespaces)) ?? 1, shadow: form["variant_shadow"] == "on")
            return try await answer(request, pages: pages, name: name) {
                _ = try await pages.environment.requirePlatform().deployments.addVariant(
                    variant, deployment: name, jobs: try pages.environment.requireComputeAgents().jobs, quota: JobsAPI.quota(for: context), context: context)
            }
        }

        routes.post("/app/deployments/:deployment/payload-logging", access: .permission(.deploymentsWrite)) { request in
            let name = try request.segment("deployment")
            let percent = Double(request.form["sample_percent"].trimmingCharacters(in: .whitespaces)) ?? -1
            return try await answer(request, pages: pages, name: name) {
                _ = try await pages.environment.requirePlatform().deployments.setPayloadSampling(percent, deployment: name, context: try request.requireContext())
            }
        }

        routes.post("/app/deployments/:deployment/variants/:variant/rollout", access: .permission(.deploymentsWrite)) { request in
            let name = try request.segment("deployment")
            let context = try request.requireContext()
            let version = Int(request.form["version"].trimmingCharacters(in: .whitespaces))
            return try await answer(request, pages: pages, name: name) {
                _ = try await pages.environment.requirePlatform().deployments.rollOut(
                    variant: try request.segment("variant"), version: version ?? -1, deployment: name, jobs: try pages.environment.requireComputeAgents().jobs,
                    quota: JobsAPI.quota(for: context), context: context)
            }
        }
    }

    /// The recent-predictions section: the sampling share and the latest stored payloads.
    static func payloads(_ payloads: [PredictionPayload], deployment: Deployment) -> [String: Any] {
        [
            "samplePercent": deployment.payloadSamplePercent == deployment.payloadSamplePercent.rounded()
                ? String(Int(deployment.payloadSamplePercent)) : String(deployment.payloadSamplePercent),
            "hasPayloads": !payloads.isEmpty,
            "payloads": payloads.map { payload -> [String: Any] in
                [
                    "created": Pages.format(payload.createdAt), "variant": payload.variant, "status": payload.status,
                    "request": String(payload.request.prefix(300)), "response": String((payload.response ?? "—").prefix(300)),
                    "excluded": payload.excluded.isEmpty ? "—" : payload.excluded.joined(separator: ", "),
                ]
            },
        ]
    }

    /// Runs `change`, then back to the deployment's page; a refusal shows on the page next to the variants.
    private static func answer(_ request: Request, pages: Pages, name: String, _ change: () async throws -> Void) async throws -> Response {
        do {
            try await change()
            return Pages.redirect("/app/deployments/\(name)")
        } catch let error as PlatformError where error.status != .notFound || request.parameters["variant"] == nil {
            return try await DeploymentPages.deploymentPage(request, pages: pages, ["variantError": error.description])
        } catch let error as ComputeAgentsError {
            return try await DeploymentPages.deploymentPage(request, pages: pages, ["variantError": error.description])
        }
    }
}
