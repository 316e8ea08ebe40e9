import Foundation
import HTTPTypes
import Platform
import Tenancy
import WebServer

/// The projects pages: the list with the "new project" form, a project's datasets with the "new dataset" form, and a
/// dataset's page (versions, the upload panel, and one version's schema, statistics, preview and rejected rows).
/// Uploads go from the page's script to `…/upload` with the session and the CSRF token in a header, streamed.
enum ProjectPages {
    /// Adds the routes.
    static func add(to routes: inout PortalRoutes, pages: Pages) {
        routes.get("/app/projects", access: .permission(.dataRead)) { request in
            try await listPage(request, pages: pages, [:])
        }

        routes.post("/app/projects", access: .permission(.dataWrite)) { request in
            let form = request.form
            let submitted = ProjectForm(name: form["name"], slug: form["slug"], description: form["description"])
            do {
                let project = try await pages.environment.requirePlatform().projects.create(submitted, context: try request.requireContext())
                return Pages.redirect("/app/projects/\(project.slug)")
            } catch let error as PlatformError {
                let values = ["name": form["name"], "slug": form["slug"], "description": form["description"]]
                return try await listPage(request, pages: pages, Pages.merge(failure(error), ["values": values]), status: error.status)
            }
        }

        routes.get("/app/projects/:project", access: .permission(.dataRead)) { request in
            try await projectPage(request, pages: pages, [:])
        }

        routes.post("/app/projects/:project/datasets", access: .permission(.dataWrite)) { request in
            let form = request.form
            let project = try request.segment("project")
            do {
                let dataset = try await pages.environment.requirePlatform().datasets.create(
                    DatasetForm(name: form["name"], description: form["description"]), project: project, context: try request.requireContext()
                )
                return Pages.redirect("/app/projects/\(project)/datasets/\(dataset.name)")
            } catch let error as PlatformError where error.status != .notFound {
                let values = ["name": form["name"], "description": form["description"]]
                return try await projectPage(request, pages: pages, Pages.merge(failure(error), ["values": values]), status: error.status)
            }
        }

        routes.get("/app/projects/:project/datasets/:dataset", access: .permission(.dataRead)) { request in
            try await datasetPage(request, pages: pages, version: nil)
        }

        routes.get("/app/projects/:project/datasets/:dataset/versions/:version", access: .permission(.dataRead)) { request in
            try await datasetPage(request, pages: pages, version: try DatasetVersionsAPI.versionNumber(request))
        }

        routes.get("/app/projects/:project/datasets/:dataset/versions/:version/content", access: .permission(.dataRead)) { request in
            try await DatasetVersionsAPI.content(request, platform: try pages.environment.requirePlatform())
        }

        routes.add(.post, "/app/projects/:project/datasets/:dataset/upload", access: .permission(.dataWrite), maxBodySize: DatasetVersionsAPI.maximumUploadSize) {
            request in
            let detail = try await pages.environment.requirePlatform().datasets.upload(
                request.body, to: try request.segment("dataset"), project: try request.segment("project"),
                settings: try DatasetVersionsAPI.uploadSettings(request), sourceName: request.query("filename") ?? "",
                context: try request.requireContext()
            )
            return try APIResponse.json(DatasetVersionDetailJSON(detail), status: .created, isConvertingKeysToSnakeCase: true)
        }
    }

    /// A view model's error members for a failed form.
    private static func failure(_ error: PlatformError) -> [String: Any] {
        if case .invalidFields(let fields) = error { return ["errors": fields, "formError": "Please correct the highlighted fields."] }
        return ["formError": error.description]
    }

    private static func listPage(_ request: Request, pages: Pages, _ extra: [String: Any], status: HTTPResponse.Status = .ok) async throws -> Response {
        let context = try request.requireContext()
        let projects = try await pages.environment.requirePlatform().projects.list(context: context)
        let base: [String: Any] = [
            "projects": projects.map(ProjectView.project), "hasProjects": !projects.isEmpty, "canCreate": context.allows(.dataWrite),
        ]
        return await pages.render("projects", request, title: "Projects", Pages.merge(base, extra), status: status)
    }

    private static func projectPage(_ request: Request, pages: Pages, _ extra: [String: Any], status: HTTPResponse.Status = .ok) async throws -> Response {
        let context = try request.requireContext()
        let platform = try pages.environment.requirePlatform()
        let slug = try request.segment("project")
        let project = try await platform.projects.get(slug, context: context)
        let datasets = try await platform.datasets.list(project: slug, context: context)
        let base: [String: Any] = [
            "project": ProjectView.project(project), "datasets": datasets.map { ProjectView.dataset($0, project: slug) },
            "hasDatasets": !datasets.isEmpty, "canCreate": context.allows(.dataWrite),
            "isRestricted": project.isRestricted, "canManageAccess": context.allows(.membersManage),
        ]
        return await pages.render("project", request, title: project.name, Pages.merge(base, extra), status: status)
    }

    /// A dataset's page showing version `number` (the latest when nil), with `extra` merged into its view model (a
    /// refused "Train a model" form comes back with its error).
    static func datasetPage(
        _ request: Request, pages: Pages, version number: Int?, extra: [String: Any] = [:], status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let context = try request.requireContext()
        let platform = try pages.environment.requirePlatform()
        let (slug, name) = (try request.segment("project"), try request.segment("dataset"))
        let project = try await platform.projects.get(slug, context: context)
        let (dataset, versions) = try await platform.datasets.get(name, project: slug, context: context)
        let shown = number ?? versions.first?.version
        var model: [String: Any] = [
            "project": ProjectView.project(project), "dataset": ProjectView.dataset(dataset, project: slug),
            "versions": versions.map { ProjectView.versionRow($0, project: slug, dataset: name, shown: shown) }, "hasVersions": !versions.isEmpty,
            "canUpload": context.allows(.dataWrite), "uploadAction": "/app/projects/\(slug)/datasets/\(name)/upload",
            "apiPath": "/api/v1/projects/\(slug)/datasets/\(name)/versions", "baseURL": Pages.baseURL(request),
        ]
        if let shown {
            let version = try await platform.datasets.version(shown, of: name, project: slug, context: context)
            model["detail"] = ProjectView.detail(version, project: slug, dataset: name)
            if context.allows(.modelsWrite) && context.allows(.jobsWrite) {
                model["train"] = TrainingViews.trainForm(version.version, project: slug, dataset: name)
            }
        }
        return await pages.render("dataset", request, title: "\(dataset.name) — \(project.name)", Pages.merge(model, extra), status: status)
    }
}
