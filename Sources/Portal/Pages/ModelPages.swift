import Foundation
import HTTPTypes
import Platform
import Tenancy
import WebServer

/// The registry pages: a project's registered models, a model (versions, aliases, gates, the promotion dialog and
/// its history with approve and reject), and a version (lineage, signature, metrics, aliases, approvals, download).
enum ModelPages {
    /// Adds the routes.
    static func add(to routes: inout PortalRoutes, pages: Pages) {
        routes.get("/app/projects/:project/models", access: .permission(.modelsRead)) { request in
            let context = try request.requireContext()
            let platform = try pages.environment.requirePlatform()
            let slug = try request.segment("project")
            let project = try await platform.projects.get(slug, context: context)
            let models = try await platform.models.list(project: slug, context: context)
            let view: [String: Any] = ["project": ProjectView.project(project), "models": models.map { ModelViews.row($0, project: slug) }, "hasModels": !models.isEmpty]
            return await pages.render("models", request, title: "Models — \(project.name)", view)
        }

        routes.get("/app/projects/:project/models/:model", access: .permission(.modelsRead)) { request in
            try await modelPage(request, pages: pages, [:])
        }

        routes.get("/app/projects/:project/models/:model/versions/:version", access: .permission(.modelsRead)) { request in
            let context = try request.requireContext()
            let platform = try pages.environment.requirePlatform()
            let (slug, name) = (try request.segment("project"), try request.segment("model"))
            guard let number = request.parameters["version"].flatMap({ Int($0) }) else { throw PlatformError.notFound("No such version") }
            let project = try await platform.projects.get(slug, context: context)
            let (model, versions, promotions) = try await platform.models.get(name, project: slug, context: context)
            guard let version = versions.first(where: { $0.version == number }) else {
                throw PlatformError.notFound("Model '\(name)' has no version \(number)")
            }
            let names = await ActorNames(pages: pages, context: context)
            var view = ModelViews.version(version, model: model, promotions: promotions.filter { $0.version == number }, project: slug, names: names)
            view["project"] = ProjectView.project(project)
            return await pages.render("model-version", request, title: "\(model.name) v\(number) — \(project.name)", view)
        }

        routes.get("/app/projects/:project/models/:model/versions/:version/file", access: .permission(.modelsRead)) { request in
            try await ModelsAPI.file(request, platform: try pages.environment.requirePlatform())
        }

        routes.post("/app/projects/:project/models/:model/promotions", access: .permission(.modelsPromote)) { request in
            let form = request.form
            let (slug, name) = (try request.segment("project"), try request.segment("model"))
            do {
                guard let version = Int(form["version"]) else { throw PlatformError.invalid(field: "version", "Choose the version to promote") }
                let promotion = try await pages.environment.requirePlatform().models.promote(
                    version: version, to: form["alias"].trimmingCharacters(in: .whitespaces), reason: form["reason"], model: name, project: slug,
                    context: try request.requireContext())
                return Pages.redirect("/app/projects/\(slug)/models/\(name)?promotion=\(promotion.id.uuidString.lowercased())")
            } catch let error as PlatformError where error.status != .notFound {
                var extra: [String: Any] = ["promoteError": error.description, "promoteValues": ["alias": form["alias"], "reason": form["reason"]]]
                if case .invalidFields(let fields) = error { extra["promoteErrors"] = fields }
                return try await modelPage(request, pages: pages, extra, status: error.status)
            }
        }

        routes.post("/app/projects/:project/models/:model/promotions/:promotion/:decision", access: .permission(.modelsApprove)) { request in
            let (slug, name) = (try request.segment("project"), try request.segment("model"))
            guard let id = request.parameters["promotion"].flatMap(UUID.init(uuidString:)) else { throw PlatformError.notFound("No such promotion") }
            let registry = try pages.environment.requirePlatform().models
            let context = try request.requireContext()
            do {
                switch request.parameters["decision"] {
                case "approve": _ = try await registry.approve(id, reason: request.form["reason"], model: name, project: slug, context: context)
                case "reject": _ = try await registry.reject(id, reason: request.form["reason"], model: name, project: slug, context: context)
                default: throw PlatformError.notFound("No such action")
                }
                return Pages.redirect("/app/projects/\(slug)/models/\(name)?promotion=\(id.uuidString.lowercased())")
            } catch let error as PlatformError where error.status != .notFound {
                return try await modelPage(request, pages: pages, ["reviewError": error.description], status: error.status)
            }
        }

        routes.post("/app/projects/:project/models/:model/gates", access: .permission(.modelsApprove)) { request in
            let (slug, name) = (try request.segment("project"), try request.segment("model"))
            do {
                let gates = try ModelViews.gates(from: request.form)
                _ = try await pages.environment.requirePlatform().models.setGates(gates, model: name, project: slug, context: try request.requireContext())
                return Pages.redirect("/app/projects/\(slug)/models/\(name)")
            } catch let error as PlatformError where error.status != .notFound {
                return try await modelPage(request, pages: pages, ["gatesError": error.description], status: error.status)
            }
        }
    }

    static func modelPage(_ request: Request, pages: Pages, _ extra: [String: Any], status: HTTPResponse.Status = .ok) async throws -> Response {
        let context = try request.requireContext()
        let platform = try pages.environment.requirePlatform()
        let (slug, name) = (try request.segment("project"), try request.segment("model"))
        let project = try await platform.projects.get(slug, context: context)
        let (model, versions, promotions) = try await platform.models.get(name, project: slug, context: context)
        let highlighted = request.query("promotion").flatMap(UUID.init(uuidString:))
        let names = await ActorNames(pages: pages, context: context)
        var view = ModelViews.model(model, versions: versions, promotions: promotions, project: slug, highlighted: highlighted, context: context, names: names)
        view["project"] = ProjectView.project(project)
        return await pages.render("model", request, title: "\(model.name) — \(project.name)", Pages.merge(view, extra), status: status)
    }
}
