import Foundation
import HTTPTypes
import Platform
import Tenancy
import WebServer

/// The catalog's batch side: feature services (listed, saved from a form, deleted) and the "build a training set"
/// form, which goes to the new dataset version's page or shows the refusal by field.
extension FeaturePages {
    /// What a finished feature service action says on the catalog (`?done=`).
    private static let catalogNotices = [
        "service-saved": "The feature service was saved.",
        "service-deleted": "The feature service was deleted.",
    ]

    /// Adds the catalog's POST routes; each needs `data.write`.
    static func addCatalogActions(to routes: inout PortalRoutes, pages: Pages) {
        routes.post("/app/projects/:project/feature-services", access: .permission(.dataWrite)) { request in
            let slug = try request.segment("project")
            let input = FeatureServiceFormInput(request.form)
            do {
                _ = try await pages.environment.requirePlatform().featureServices.save(
                    name: input.name, description: input.description, features: input.references.references, project: slug,
                    context: try request.requireContext()
                )
                return Pages.redirect("/app/projects/\(slug)/features?done=service-saved#services")
            } catch let error as PlatformError {
                let form = input.references.failure(error, values: input.values)
                return try await catalogPage(request, pages: pages, extra: ["serviceForm": form], status: error.status)
            }
        }

        routes.post("/app/projects/:project/feature-services/:service/delete", access: .permission(.dataWrite)) { request in
            let slug = try request.segment("project")
            try await pages.environment.requirePlatform().featureServices.delete(
                try request.segment("service"), project: slug, context: try request.requireContext()
            )
            return Pages.redirect("/app/projects/\(slug)/features?done=service-deleted#services")
        }

        routes.post("/app/projects/:project/training-sets", access: .permission(.dataWrite)) { request in
            let slug = try request.segment("project")
            let input = TrainingSetFormInput(request.form, project: slug)
            do {
                guard input.problems.isEmpty else { throw PlatformError.invalidFields(input.problems) }
                let detail = try await pages.environment.requirePlatform().featureStore.buildTrainingSet(input.request, context: try request.requireContext())
                return Pages.redirect("/app/projects/\(slug)/datasets/\(input.request.output)/versions/\(detail.version.version)")
            } catch let error as PlatformError {
                let form = input.references.failure(error, values: input.values)
                return try await catalogPage(request, pages: pages, extra: ["trainingForm": form], status: error.status)
            }
        }
    }

    /// The catalog's feature services, the two forms (with a refused one's values and errors from `extra`) and the
    /// notice of what a feature service form just did (shown in that section, where the redirect scrolls).
    static func catalogLifecycle(
        _ request: Request, project slug: String, platform: PlatformServices, context: RequestContext, extra: [String: Any]
    ) async throws -> [String: Any] {
        let services = try await platform.featureServices.list(project: slug, context: context)
        var model: [String: Any] = [
            "services": services.map { FeatureLifecycleView.service($0, project: slug) }, "hasServices": !services.isEmpty,
            "serviceNotice": catalogNotices[request.query("done") ?? ""] ?? false,
        ]
        let emptyForm: [String: Any] = ["values": [String: String](), "errors": [String: String]()]
        model["serviceForm"] = Pages.merge(emptyForm, extra["serviceForm"] as? [String: Any] ?? [:])
        guard context.allows(.dataWrite) else { return model }
        let datasets = try await platform.datasets.list(project: slug, context: context)
        let refused = extra["trainingForm"] as? [String: Any] ?? [:]
        let values = refused["values"] as? [String: String] ?? TrainingSetFormInput.defaults
        let base: [String: Any] = [
            "values": values, "errors": [String: String](), "hasDatasets": !datasets.isEmpty,
            "datasetOptions": FeatureLifecycleView.datasetOptions(datasets, selected: values["entity_dataset"] ?? ""),
            "serviceOptions": FeatureLifecycleView.serviceOptions(services, selected: values["feature_service"] ?? ""),
        ]
        model["trainingForm"] = Pages.merge(base, refused)
        return model
    }
}
