import AsyncAlgorithms
import ComputeAgents
import FalajCrypto
import Foundation
import Learning
import PostgresClient
import Residency
public import Tenancy

/// How to register a version from a run.
public struct VersionRegistration: Sendable {
    /// The run's number in the project.
    public var run: Int
    /// The artifact holding the model; nil means `model.falaj` (what built-in runs write).
    public var artifact: String?
    /// Free text.
    public var description: String
    /// Make the registered model when the name is new (with default gates).
    public var createModel: Bool
    /// The signature of a custom model (built-in models bring their own).
    public var signature: ModelSignature?

    /// Creates a registration.
    public init(run: Int, artifact: String? = nil, description: String = "", createModel: Bool = true, signature: ModelSignature? = nil) {
        self.run = run
        self.artifact = artifact
        self.description = description
        self.createModel = createModel
        self.signature = signature
    }
}

extension ModelRegistry {
    /// Registers a new immutable version of `name` from a succeeded run's artifact: the file is copied (re-encrypted,
    /// checksum verified) into the registry's own blob, so the version outlives the run's artifacts; its lineage
    /// (run, experiment, job, datasets, code, parameters), signature and metrics are recorded. Audited as
    /// `model.version_registered` (and `model.created` for a new name).
    /// - Throws: ``PlatformError/notFound(_:)`` for an unknown run, artifact or (without `createModel`) model;
    ///   ``PlatformError/conflict(_:)`` when the run has not succeeded.
    public func register(_ registration: VersionRegistration, model name: String, project slug: String, context request: RequestContext) async throws -> ModelVersion {
        try request.requirePlatform(.modelsWrite)
        var problems: [String: String] = [:]
        if let problem = PlatformName.datasetNameProblem(name) { problems["model"] = problem }
        if registration.description.count > 2000 { problems["description"] = "Keep the description under 2,000 characters" }
        guard problems.isEmpty else { throw PlatformError.invalidFields(problems) }
        let path = registration.artifact ?? BuiltinTrainingJob.modelFileName
        let (project, run, artifact, featureGroups) = try await context.router.withTenantTransaction(request.tenantID) { connection in
            let project = try await Projects.find(slug, for: request, on: connection)
            guard let row = try await connection.query(RunRows.select("WHERE r.project_id = \(project.id) AND r.number = \(registration.run)")).first else {
                throw PlatformError.notFound("The project has no run \(registration.run)")
            }
            let run = (summary: try RunSummary(row), code: try row["code", as: PostgresJSON.self].decode(RunCode.self))
            guard run.summary.state == .succeeded else {
                throw PlatformError.conflict("Run \(registration.run) has not succeeded (it is \(run.summary.state.rawValue)); register a version from a succeeded run")
            }
            guard let artifact = try await JobQueue.artifactBlob(job: run.summary.jobID, path: path, on: connection) else {
                throw PlatformError.notFound("Run \(registration.run) has no artifact '\(path)'")
            }
            if !registration.createModel { _ = try await Self.find(name, project: project.id, on: connection) }
            var groups: [ModelLineage.FeatureGroupReference] = []
            if let input = run.summary.inputs.dataset,
                let row = try await connection.query("SELECT lineage FROM dataset_versions WHERE dataset_id = \(input.id) AND version = \(input.version)").first,
                let lineage = try row["lineage", as: PostgresJSON?.self]?.decode(DatasetLineage.self)
            {
                groups = lineage.features.map { .init(reference: $0.reference, groupID: $0.groupID, groupVersion: $0.groupVersion) }
            }
            return (project, run, artifact, groups)
        }
        var metrics = run.summary.finalMetrics
        var signature = registration.signature
        if run.summary.kind == "builtin" {
            let bytes = try await Runs(context: context).readArtifact(run.summary.jobID, path: BuiltinTrainingJob.reportFileName, tenant: request.tenantID)
            let report = try JSONDecoder().decode(TrainingReport.self, from: Data(bytes))
            metrics.merge(report.metrics) { _, held in held }
            signature = signature ?? ModelSignature(
                inputs: report.features, output: .init(type: report.task == .regression ? "number" : "class", classes: report.task == .regression ? nil : report.classes))
        }
        let blobName = "models/\(UUID().uuidString.lowercased())"
        try await copyBlob(from: artifact.blobName, to: blobName, sha256: artifact.sha256, tenant: request.tenantID)
        let lineage = ModelLineage(
            run: .init(id: run.summary.id, number: run.summary.number, experiment: run.summary.experiment, job: run.summary.jobID, artifact: path),
            datasets: run.summary.inputs.dataset.map { [$0] } ?? [], featureGroups: featureGroups, code: run.code, params: run.summary.params)
        let stored = StoredFile(
            blobName: blobName, fileName: String(path.split(separator: "/").last ?? "model"), sizeBytes: artifact.sizeBytes, sha256: artifact.sha256,
            format: path.hasSuffix(".falaj") ? "falaj-model" : "custom")
        return try await insertVersion(
            stored, runID: run.summary.id, signature: signature, metrics: metrics, lineage: lineage, description: registration.description, model: name,
            project: project, request: request,
            audit: ("model.version_registered", ["run": String(run.summary.number), "artifact": path, "sha256": artifact.sha256]))
    }

    /// A model file stored under the registry's own blob name.
    struct StoredFile {
        var blobName: String
        var fileName: String
        var sizeBytes: Int64
        var sha256: String
        var format: String
    }

    /// Inserts the next version of `name` (made when new) for a stored file and audits it; on failure the blob is
    /// deleted.
    func insertVersion(
        _ file: StoredFile, runID: UUID?, signature: ModelSignature?, metrics: [String: Double], lineage: ModelLineage, description: String,
        model name: String, project: Project, request: RequestContext, audit: (action: String, details: [String: String])
    ) async throws -> ModelVersion {
        do {
            return try await context.router.withTenantTransaction(request.tenantID) { connection in
                let tenant = request.tenantID.rawValue
                let inserted = try await connection.query(
                    """
                    INSERT INTO registered_models (tenant_id, id, project_id, name, created_by) VALUES (\(tenant), \(UUID()), \(project.id), \(name), \(request.platformActor))
                    ON CONFLICT (tenant_id, project_id, name) DO NOTHING RETURNING id
                    """
                )
                if let created = inserted.first {
                    try await record("model.created", model: try created["id", as: UUID.self], details: ["project": project.slug, "name": name], request: request, on: connection)
                }
                let model = try await Self.find(name, project: project.id, on: connection)
                try await connection.execute("SELECT 1 FROM registered_models WHERE id = \(model.id) FOR UPDATE")
                let row = try await connection.query(
                    """
                    INSERT INTO model_versions (tenant_id, model_id, version, run_id, blob_name, file_name, size_bytes, sha256, format, signature, metrics,
                                                lineage, description, registered_by)
                    SELECT \(tenant), \(model.id), coalesce(max(version), 0) + 1, \(runID), \(file.blobName), \(file.fileName), \(file.sizeBytes),
                           \(file.sha256), \(file.format), \(try signature.map { try PostgresJSON(encoding: $0) } ?? PostgresJSON(text: "{}")),
                           \(try PostgresJSON(encoding: metrics)), \(try PostgresJSON(encoding: lineage)), \(description), \(request.platformActor)
                    FROM model_versions WHERE model_id = \(model.id)
                    RETURNING *
                    """
                )[0]
                let version = try ModelVersion(row)
                try await record(
                    audit.action, model: model.id, details: audit.details.merging(["version": String(version.version)]) { $1 }, request: request, on: connection)
                return version
            }
        } catch {
            try? await context.blobs.delete(request.tenantID, name: file.blobName)
            throw error
        }
    }

    /// Copies a tenant blob to a new name, streaming (bounded memory) and checking the plaintext's SHA-256.
    func copyBlob(from source: String, to destination: String, sha256: String, tenant: TenantID) async throws {
        let channel = AsyncThrowingChannel<[UInt8], any Error>()
        let blobs = context.blobs
        async let stored = blobs.put(tenant, name: destination, from: channel, expectedSHA256: Hex.decode(sha256))
        do {
            _ = try await blobs.get(tenant, name: source) { bytes in await channel.send(bytes) }
            channel.finish()
        } catch {
            channel.fail(error)
        }
        _ = try await stored
    }
}
