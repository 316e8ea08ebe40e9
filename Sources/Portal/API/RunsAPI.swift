import AgentProtocol
import ComputeAgents
import Foundation
import HTTPTypes
import Platform
import Tenancy
import WebServer

/// `/api/v1/projects/:project/runs` and `/experiments`: training runs (built-in trainers and custom commands).
enum RunsAPI {
    /// Registers the routes, each with its access rule and documentation.
    static func add(to routes: inout PortalRoutes, environment: PortalEnvironment) {
        routes.add(
            .post, "/api/v1/projects/:project/runs", access: .permission(.modelsWrite),
            documentation: APIDocumentation(
                summary: "Starts a run: a built-in trainer on a dataset (`training`), or your own `command` with FALAJ_API, FALAJ_JOB_TOKEN and "
                    + "FALAJ_RUN_ID in its environment; needs models.write and jobs.write",
                requestSchema: StartRunRequest.schema, responseSchema: RunJSON.schema, successStatus: 201
            )
        ) { request in
            let body: StartRunRequest = try await request.decodeJSON()
            let run = try await start(body, project: try request.segment("project"), context: try request.requireContext(), environment: environment)
            return try APIResponse.json(RunJSON(run), status: .created)
        }

        routes.get(
            "/api/v1/projects/:project/runs", access: .permission(.modelsRead),
            documentation: APIDocumentation(
                summary: "The project's runs, newest first, with parameters and final metrics (query: experiment, state, limit ≤ 500)",
                responseSchema: ItemsJSON<RunJSON>.schema(RunJSON.schema)
            )
        ) { request in
            let state: JobState?
            if let text = request.query("state"), !text.isEmpty {
                guard let parsed = JobState(rawValue: text) else {
                    throw PlatformError.invalid(field: "state", "Use one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                state = parsed
            } else {
                state = nil
            }
            let runs = try await environment.requirePlatform().runs.list(
                project: try request.segment("project"), experiment: request.query("experiment").flatMap { $0.isEmpty ? nil : $0 }, state: state,
                limit: request.query("limit").flatMap { Int($0) } ?? 100, context: try request.requireContext())
            return try APIResponse.json(ItemsJSON(items: runs.map(RunJSON.init)))
        }

        routes.get(
            "/api/v1/projects/:project/runs/:run", access: .permission(.modelsRead),
            documentation: APIDocumentation(
                summary: "One run by number: parameters, metric series, resource usage, artifacts and (built-in runs) the training report",
                responseSchema: RunDetailJSON.schema
            )
        ) { request in
            let detail = try await environment.requirePlatform().runs.get(
                try runNumber(request), project: try request.segment("project"), context: try request.requireContext())
            return try APIResponse.json(RunDetailJSON(detail))
        }

        routes.add(
            .post, "/api/v1/projects/:project/code", access: .permission(.modelsWrite),
            documentation: APIDocumentation(
                summary: "Uploads working files for custom runs: a gzipped tar archive as the raw body (query file_name); name its id as `code` "
                    + "when starting a run and the agent unpacks it into the run's folder first",
                responseSchema: CodeBundleJSON.schema, successStatus: 201
            ), maxBodySize: Int(Runs.maximumBundleSize)
        ) { request in
            let bundle = try await environment.requirePlatform().runs.uploadCode(
                request.body, fileName: request.query("file_name") ?? "", project: try request.segment("project"), context: try request.requireContext())
            return try APIResponse.json(CodeBundleJSON(bundle), status: .created)
        }

        routes.get(
            "/api/v1/projects/:project/experiments", access: .permission(.modelsRead),
            documentation: APIDocumentation(summary: "The project's experiments with their run counts", responseSchema: ItemsJSON<ExperimentJSON>.schema(ExperimentJSON.schema))
        ) { request in
            let experiments = try await environment.requirePlatform().runs.experiments(project: try request.segment("project"), context: try request.requireContext())
            return try APIResponse.json(ItemsJSON(items: experiments.map(ExperimentJSON.init)))
        }
    }

    /// Starts the run the body describes.
    static func start(_ body: StartRunRequest, project: String, context: RequestContext, environment: PortalEnvironment) async throws -> RunSummary {
        let platform = try environment.requirePlatform()
        let jobs = try environment.requireComputeAgents().jobs
        let quota = JobsAPI.quota(for: context)
        switch body.kind ?? (body.training != nil ? "builtin" : "command") {
        case "builtin":
            guard let training = body.training else { throw PlatformError.invalid(field: "training", "A built-in run needs `training` with at least a `target`") }
            guard let dataset = body.dataset else { throw PlatformError.invalid(field: "dataset", "Name the dataset to learn from") }
            let form = BuiltinRunForm(
                experiment: body.experiment ?? "default", name: body.name ?? "", dataset: dataset, datasetVersion: body.datasetVersion, training: training,
                resources: body.resources?.request)
            return try await platform.runs.startBuiltin(form, project: project, jobs: jobs, quota: quota, context: context)
        case "command":
            var code: UUID?
            if let text = body.code {
                guard let id = UUID(uuidString: text) else { throw PlatformError.invalid(field: "code", "Give a code bundle's id") }
                code = id
            }
            let form = CommandRunForm(
                experiment: body.experiment ?? "default", name: body.name ?? "", command: body.command ?? [], code: code, environment: body.environment ?? [:],
                params: body.params ?? [:], tags: body.tags ?? [:], dataset: body.dataset, datasetVersion: body.datasetVersion,
                resources: body.resources?.request ?? ResourceRequest(), timeoutSeconds: body.timeoutSeconds ?? 3600, maxAttempts: body.maxAttempts ?? 1)
            return try await platform.runs.startCommand(form, project: project, jobs: jobs, quota: quota, context: context)
        default:
            throw PlatformError.invalid(field: "kind", "Use kind builtin or command")
        }
    }

    /// The `:run` path parameter as a run number.
    static func runNumber(_ request: Request) throws -> Int {
        guard let text = request.parameters["run"], let number = Int(text), number >= 1 else { throw PlatformError.notFound("No such run") }
        return number
    }
}
