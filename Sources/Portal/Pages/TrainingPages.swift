import ComputeAgents
import Foundation
import HTTPTypes
import Learning
import Platform
import Tenancy
import WebServer

/// The training pages: "Train a model" from a dataset version (the SMB guided flow), a project's runs with filters
/// and comparison, a run's page (live progress, held-out metrics, confusion matrix, importances, curves, parameters,
/// log, artifacts) and "Register" from a succeeded run.
enum TrainingPages {
    /// Adds the routes.
    static func add(to routes: inout PortalRoutes, pages: Pages) {
        routes.post("/app/projects/:project/datasets/:dataset/train", access: .permission(.modelsWrite)) { request in
            let (project, dataset) = (try request.segment("project"), try request.segment("dataset"))
            let form = request.form
            let algorithm = TrainingSpec.Algorithm(rawValue: form["algorithm"])
            let spec = TrainingSpec(target: form["target"], algorithm: algorithm)
            let run = BuiltinRunForm(
                experiment: form["experiment"].isEmpty ? "default" : form["experiment"], dataset: dataset, datasetVersion: Int(form["version"]), training: spec)
            let context = try request.requireContext()
            do {
                let started = try await pages.environment.requirePlatform().runs.startBuiltin(
                    run, project: project, jobs: try pages.environment.requireComputeAgents().jobs, quota: JobsAPI.quota(for: context), context: context)
                return Pages.redirect("/app/projects/\(project)/runs/\(started.number)")
            } catch let error as PlatformError where error.status != .notFound {
                return try await trainingFailure(request, pages: pages, message: error.description, status: error.status)
            } catch let error as ComputeAgentsError {
                let (_, status) = JobForm.failure(error)
                return try await trainingFailure(request, pages: pages, message: error.description, status: status)
            }
        }

        routes.get("/app/projects/:project/runs", access: .permission(.modelsRead)) { request in
            try await runsPage(request, pages: pages)
        }

        routes.get("/app/projects/:project/compare-runs", access: .permission(.modelsRead)) { request in
            try await comparePage(request, pages: pages)
        }

        routes.get("/app/projects/:project/runs/:run", access: .permission(.modelsRead)) { request in
            try await runPage(request, pages: pages, [:])
        }

        routes.post("/app/projects/:project/runs/:run/cancel", access: .permission(.jobsWrite)) { request in
            let (project, number) = (try request.segment("project"), try RunsAPI.runNumber(request))
            let context = try request.requireContext()
            let run = try await pages.environment.requirePlatform().runs.get(number, project: project, context: context)
            _ = try await pages.environment.requireComputeAgents().jobs.cancel(run.summary.jobID, context: context)
            return Pages.redirect("/app/projects/\(project)/runs/\(number)")
        }

        routes.post("/app/projects/:project/runs/:run/register", access: .permission(.modelsWrite)) { request in
            let (project, number) = (try request.segment("project"), try RunsAPI.runNumber(request))
            let form = request.form
            let registration = VersionRegistration(
                run: number, artifact: form["artifact"].isEmpty ? nil : form["artifact"], description: form["description"])
            do {
                let version = try await pages.environment.requirePlatform().models.register(
                    registration, model: form["model"], project: project, context: try request.requireContext())
                return Pages.redirect("/app/projects/\(project)/models/\(form["model"])/versions/\(version.version)")
            } catch let error as PlatformError where error.status != .notFound || form["artifact"] != "" {
                var extra: [String: Any] = ["registerError": error.description, "registerValues": ["model": form["model"], "description": form["description"]]]
                if case .invalidFields(let fields) = error { extra["registerErrors"] = fields }
                return try await runPage(request, pages: pages, extra, status: error.status)
            }
        }
    }

    /// A refused "Train a model" form goes back to the dataset page with the message.
    private static func trainingFailure(_ request: Request, pages: Pages, message: String, status: HTTPResponse.Status) async throws -> Response {
        try await ProjectPages.datasetPage(
            request, pages: pages, version: Int(request.form["version"]), extra: ["trainError": message, "trainTarget": request.form["target"]], status: status)
    }

    private static func runsPage(_ request: Request, pages: Pages) async throws -> Response {
        let context = try request.requireContext()
        let platform = try pages.environment.requirePlatform()
        let slug = try request.segment("project")
        let project = try await platform.projects.get(slug, context: context)
        let experiment = request.query("experiment").flatMap { $0.isEmpty ? nil : $0 }
        let state = request.query("state").flatMap(JobState.init(rawValue:))
        let runs = try await platform.runs.list(project: slug, experiment: experiment, state: state, limit: 200, context: context)
        let experiments = try await platform.runs.experiments(project: slug, context: context)
        let experimentChoices = experiments.map { item -> [String: Any] in ["name": item.name, "runCount": item.runCount, "isSelected": item.name == experiment] }
        let stateChoices = JobState.allCases.map { item -> [String: Any] in ["name": item.rawValue, "isSelected": item == state] }
        let names = await ActorNames(pages: pages, context: context)
        var model: [String: Any] = ["project": ProjectView.project(project), "runs": runs.map { TrainingViews.row($0, project: slug, names: names) }]
        model["hasRuns"] = !runs.isEmpty
        model["experiments"] = experimentChoices
        model["states"] = stateChoices
        model["isFiltered"] = experiment != nil || state != nil
        model["compareAction"] = "/app/projects/\(slug)/compare-runs"
        return await pages.render("runs", request, title: "Runs — \(project.name)", model)
    }

    private static func comparePage(_ request: Request, pages: Pages) async throws -> Response {
        let context = try request.requireContext()
        let platform = try pages.environment.requirePlatform()
        let slug = try request.segment("project")
        let project = try await platform.projects.get(slug, context: context)
        var numbers: Set<Int> = []
        for item in request.queryItems where item.name == "runs" {
            if let number = Int(item.value), number >= 1 { numbers.insert(number) }
        }
        guard numbers.count >= 2 else {
            throw HTTPError(.badRequest, "Tick at least two runs to compare")
        }
        var details: [RunDetail] = []
        for number in numbers.sorted().prefix(8) { details.append(try await platform.runs.get(number, project: slug, context: context)) }
        let names = await ActorNames(pages: pages, context: context)
        let model = Pages.merge(["project": ProjectView.project(project)], TrainingViews.comparison(details, project: slug, names: names))
        return await pages.render("run-compare", request, title: "Compare runs — \(project.name)", model)
    }

    static func runPage(_ request: Request, pages: Pages, _ extra: [String: Any], status: HTTPResponse.Status = .ok) async throws -> Response {
        let context = try request.requireContext()
        let platform = try pages.environment.requirePlatform()
        let slug = try request.segment("project")
        let project = try await platform.projects.get(slug, context: context)
        let detail = try await platform.runs.get(try RunsAPI.runNumber(request), project: slug, context: context)
        var log = ""
        if context.allows(.jobsRead), let jobs = pages.environment.computeAgents?.jobs {
            let chunks = try await jobs.logs(detail.summary.jobID, after: nil, limit: 1000, context: context)
            log = String(String(decoding: chunks.flatMap(\.data), as: UTF8.self).suffix(20_000))
        }
        let names = await ActorNames(pages: pages, context: context)
        var model = TrainingViews.detail(detail, project: slug, canSeeJob: context.allows(.jobsRead), names: names)
        model["canCancel"] = context.allows(.jobsWrite) && !detail.summary.state.isFinal
        model["project"] = ProjectView.project(project)
        model["log"] = log
        model["hasLog"] = !log.isEmpty
        model["canRegister"] = context.allows(.modelsWrite) && detail.summary.state == .succeeded && !detail.job.artifacts.isEmpty
        return await pages.render("run", request, title: "\(detail.summary.title) — \(project.name)", Pages.merge(model, extra), status: status)
    }
}
