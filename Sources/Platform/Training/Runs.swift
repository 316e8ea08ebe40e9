import AgentProtocol
public import ComputeAgents
import FalajCrypto
import Foundation
import Learning
import PostgresClient
import Residency
import Tabular
public import Tenancy

/// Training runs and experiments. A run is a job (``JobQueue``) plus its project, experiment, inputs, parameters,
/// tags and code, made in the same transaction as the job. Starting one needs `models.write` and `jobs.write` (and
/// `data.read` for its dataset); reading needs `models.read`. Started runs are audited as `run.started`.
public struct Runs: Sendable {
    let context: PlatformContext

    /// Starts a built-in run: `train.builtin` on a CPU agent, learning `form.training` from a dataset version.
    /// - Throws: ``PlatformError/invalidFields(_:)`` for a spec the dataset cannot satisfy (`training.target` names an
    ///   unknown column, …), ``PlatformError/notFound(_:)`` for an unknown project, dataset or version; the job
    ///   queue's errors (quota, placement).
    public func startBuiltin(_ form: BuiltinRunForm, project slug: String, jobs: JobQueue, quota: JobQuota, context request: RequestContext) async throws -> RunSummary {
        try request.requirePlatform(.modelsWrite)
        try request.requirePlatform(.dataRead)
        try await requireProject(slug, request: request)
        var problems = form.training.problems.reduce(into: [String: String]()) { $0["training." + $1.key] = $1.value }
        if let problem = Self.experimentNameProblem(form.experiment) { problems["experiment"] = problem }
        if form.name.count > 200 { problems["name"] = "Keep the name under 200 characters" }
        guard problems.isEmpty else { throw PlatformError.invalidFields(problems) }
        let (_, version, input) = try await resolveDataset(form.dataset, version: form.datasetVersion, project: slug, request: request)
        guard let target = version.columns.first(where: { $0.name == form.training.target }) else {
            throw PlatformError.invalid(
                field: "training.target", "Dataset '\(form.dataset)' v\(version.version) has no column '\(form.training.target)'; it has \(version.columns.map(\.name).joined(separator: ", "))")
        }
        if target.type == .timestamp { throw PlatformError.invalid(field: "training.target", "'\(target.name)' is a timestamp; choose a number or a class to predict") }
        let runID = UUID()
        let spec = BuiltinTrainingJob(runID: runID, dataset: input, columns: version.columns, training: form.training)
        let memory = min(Int64(16) << 30, max(Int64(1) << 30, version.sizeBytes * 16))
        let submission = JobSubmission(
            kind: BuiltinTrainingJob.kind, name: "Train \(form.training.target) from \(form.dataset) v\(version.version)",
            specJSON: try PostgresJSON(encoding: spec).text, resources: form.resources ?? ResourceRequest(cpuMillis: 1000, memoryBytes: memory),
            maxAttempts: 2, timeoutSeconds: 6 * 3600)
        return try await start(
            runID: runID, kind: "builtin", submission: submission, experiment: form.experiment, name: form.name, inputs: RunInputs(dataset: input),
            params: Self.params(of: form.training), tags: [:], code: RunCode(training: form.training), project: slug, jobs: jobs, quota: quota, request: request)
    }

    /// Starts a custom run: `train.command` with `FALAJ_RUN_ID` (besides `FALAJ_API`, `FALAJ_JOB_ID`, `FALAJ_JOB_TOKEN`,
    /// `FALAJ_OUTPUT_DIR`) in its environment, so the program logs to the run through `clients/python/falaj_client.py`.
    /// - Throws: as ``startBuiltin(_:project:jobs:quota:context:)``; `command` must not be empty.
    public func startCommand(_ form: CommandRunForm, project slug: String, jobs: JobQueue, quota: JobQuota, context request: RequestContext) async throws -> RunSummary {
        try request.requirePlatform(.modelsWrite)
        try await requireProject(slug, request: request)
        var problems: [String: String] = [:]
        if form.command.isEmpty || form.command[0].isEmpty { problems["command"] = "Give the program to run and its arguments, e.g. [\"python3\", \"train.py\"]" }
        if let problem = Self.experimentNameProblem(form.experiment) { problems["experiment"] = problem }
        if let problem = RunParameters.problem(form.params) { problems["params"] = problem }
        if let problem = RunParameters.problem(form.tags) { problems["tags"] = problem }
        guard problems.isEmpty else { throw PlatformError.invalidFields(problems) }
        var inputs = RunInputs()
        if let dataset = form.dataset {
            try request.requirePlatform(.dataRead)
            inputs.dataset = try await resolveDataset(dataset, version: form.datasetVersion, project: slug, request: request).2
        }
        var files: CommandJobSpec.Files?
        if let code = form.code {
            files = try await context.router.withTenantTransaction(request.tenantID) { connection in
                try await Self.bundle(code, project: try await Projects.find(slug, for: request, on: connection).id, on: connection)
            }
        }
        let runID = UUID()
        var environment = form.environment
        environment["FALAJ_RUN_ID"] = runID.uuidString.lowercased()
        let spec = CommandJobSpec(command: form.command, environment: environment, files: files)
        let submission = JobSubmission(
            kind: "train.command", name: form.name.isEmpty ? Self.jobName(for: form.command) : form.name,
            specJSON: String(decoding: try JSONEncoder().encode(spec), as: UTF8.self), resources: form.resources, maxAttempts: form.maxAttempts,
            timeoutSeconds: form.timeoutSeconds)
        return try await start(
            runID: runID, kind: "command", submission: submission, experiment: form.experiment, name: form.name, inputs: inputs, params: form.params,
            tags: form.tags, code: RunCode(command: form.command, files: files), project: slug, jobs: jobs, quota: quota, request: request)
    }

    /// Submits the job and records the run (and its experiment, when new) in the same transaction.
    private func start(
        runID: UUID, kind: String, submission: JobSubmission, experiment: String, name: String, inputs: RunInputs, params: [String: String],
        tags: [String: String], code: RunCode, project slug: String, jobs: JobQueue, quota: JobQuota, request: RequestContext
    ) async throws -> RunSummary {
        let project = try await context.router.withTenantTransaction(request.tenantID) { try await Projects.find(slug, for: request, on: $0) }
        let experimentName = experiment.trimmingCharacters(in: .whitespaces)
        let tenant = request.tenantID.rawValue
        let actor = request.platformActor
        let (inputsJSON, paramsJSON, tagsJSON, codeJSON) = (
            try PostgresJSON(encoding: inputs), try PostgresJSON(encoding: params), try PostgresJSON(encoding: tags), try PostgresJSON(encoding: code)
        )
        let auditActor = request.auditActor
        let (address, requestID) = (request.clientAddress, request.requestID)
        _ = try await jobs.submit(submission, quota: quota, context: request) { connection, jobID in
            // One run number at a time per project: the project row is the lock.
            try await connection.execute("SELECT 1 FROM projects WHERE id = \(project.id) FOR UPDATE")
            try await connection.execute(
                """
                INSERT INTO experiments (tenant_id, id, project_id, name, created_by) VALUES (\(tenant), \(UUID()), \(project.id), \(experimentName), \(actor))
                ON CONFLICT (tenant_id, project_id, name) DO NOTHING
                """
            )
            try await connection.execute(
                """
                INSERT INTO runs (tenant_id, id, project_id, experiment_id, number, name, kind, job_id, inputs, params, tags, code, created_by)
                SELECT \(tenant), \(runID), \(project.id), e.id,
                       (SELECT coalesce(max(number), 0) + 1 FROM runs WHERE project_id = \(project.id)),
                       \(name), \(kind), \(jobID), \(inputsJSON), \(paramsJSON), \(tagsJSON), \(codeJSON), \(actor)
                FROM experiments e WHERE e.project_id = \(project.id) AND e.name = \(experimentName)
                """
            )
            try await AuditLog.record(
                AuditEvent(
                    actor: auditActor, action: "run.started", target: "run:\(runID.uuidString.lowercased())", sourceIP: address, requestID: requestID,
                    details: ["project": project.slug, "experiment": experimentName, "kind": kind, "job": jobID.uuidString.lowercased()]
                ),
                tenant: request.tenantID, on: connection
            )
        }
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            guard let run = try await connection.query(RunRows.select("WHERE r.id = \(runID)")).first else {
                throw PlatformError.notFound("The run was not recorded")
            }
            return try RunSummary(run)
        }
    }

    /// Throws ``PlatformError/notFound(_:)`` unless the caller sees the project (checked before the form, so a
    /// foreign project's name is a 404 whatever the body says).
    private func requireProject(_ slug: String, request: RequestContext) async throws {
        _ = try await context.router.withTenantTransaction(request.tenantID) { try await Projects.find(slug, for: request, on: $0) }
    }

    /// The dataset, its version (latest when `number` is nil) and the reference a run records.
    private func resolveDataset(
        _ name: String, version number: Int?, project slug: String, request: RequestContext
    ) async throws -> (Dataset, DatasetVersion, BuiltinTrainingJob.DatasetInput) {
        try await context.router.withTenantTransaction(request.tenantID) { connection in
            let project = try await Projects.find(slug, for: request, on: connection)
            let dataset = try await Datasets.find(name, project: project.id, on: connection)
            guard let wanted = number ?? dataset.latestVersion else {
                throw PlatformError.invalid(field: "dataset", "Dataset '\(name)' has no version yet; upload one first")
            }
            guard let row = try await connection.query(Datasets.selectVersions("WHERE dataset_id = \(dataset.id) AND version = \(wanted)")).first else {
                throw PlatformError.notFound("Dataset '\(name)' has no version \(wanted)")
            }
            let version = try DatasetVersion(row)
            return (dataset, version, BuiltinTrainingJob.DatasetInput(id: dataset.id, name: dataset.name, version: version.version, sha256: version.sha256))
        }
    }

    /// The spec's choices as run parameters (what comparisons show side by side).
    static func params(of spec: TrainingSpec) -> [String: String] {
        var params = [
            "target": spec.target, "algorithm": (spec.algorithm ?? .boostedTrees).rawValue, "task": spec.task?.rawValue ?? "auto",
            "validation_fraction": String(spec.validationFraction), "seed": String(spec.seed),
        ]
        if let folds = spec.crossValidationFolds { params["cross_validation_folds"] = String(folds) }
        if let regularization = spec.regularization { params["regularization"] = String(regularization) }
        if !spec.excludedColumns.isEmpty { params["excluded_columns"] = spec.excludedColumns.joined(separator: ",") }
        if let boosting = spec.boosting {
            params["learning_rate"] = String(boosting.learningRate)
            params["max_iter"] = String(boosting.maximumIterations)
            params["max_leaf_nodes"] = String(boosting.maximumLeaves)
            params["min_samples_leaf"] = String(boosting.minimumSamplesPerLeaf)
            params["l2_regularization"] = String(boosting.l2Regularization)
            if let depth = boosting.maximumDepth { params["max_depth"] = String(depth) }
        }
        return params
    }

    /// A job name for a command: its words with control characters as spaces, at most 200 characters.
    static func jobName(for command: [String]) -> String {
        let text = command.joined(separator: " ").unicodeScalars.map { $0.properties.generalCategory == .control ? " " : String($0) }.joined()
        return String(text.prefix(200))
    }

    /// Why an experiment name cannot be used, or nil.
    static func experimentNameProblem(_ name: String) -> String? {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed.count > 100 { return "Name the experiment in 1 to 100 characters" }
        if trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) { return "The experiment's name has control characters" }
        return nil
    }
}
