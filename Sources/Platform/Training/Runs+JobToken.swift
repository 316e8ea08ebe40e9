public import ComputeAgents
public import Foundation
import Learning
import PostgresClient
import Residency

extension Runs {
    /// Merges parameters and tags a running job logs into its run (`POST /agent/v1/runs/:run/params`, job token).
    /// - Throws: ``PlatformError/notFound(_:)`` when the token's job is not the run's; ``PlatformError/invalidFields(_:)``
    ///   for too many or too long names or values.
    public func logParameters(run: UUID, params: [String: String], tags: [String: String], scope: JobTokenScope) async throws {
        var problems: [String: String] = [:]
        if let problem = RunParameters.problem(params) { problems["params"] = problem }
        if let problem = RunParameters.problem(tags) { problems["tags"] = problem }
        guard problems.isEmpty else { throw PlatformError.invalidFields(problems) }
        let (paramsJSON, tagsJSON) = (try PostgresJSON(encoding: params), try PostgresJSON(encoding: tags))
        try await context.router.withTenantTransaction(scope.tenantID) { connection in
            let updated = try await connection.query(
                """
                UPDATE runs SET params = params || \(paramsJSON), tags = tags || \(tagsJSON)
                WHERE id = \(run) AND job_id = \(scope.jobID)
                RETURNING (SELECT count(*) FROM jsonb_object_keys(params || \(paramsJSON))) AS param_count
                """
            )
            guard let row = updated.first else { throw PlatformError.notFound("This job's token is not for run \(run.uuidString.lowercased())") }
            if try row["param_count", as: Int.self] > RunParameters.maximumPerRun {
                throw PlatformError.invalid(field: "params", "A run keeps at most \(RunParameters.maximumPerRun) parameters")
            }
        }
    }

    /// The dataset version a `train.builtin` job learns from, for `GET /agent/v1/jobs/:job/input`: its size and a
    /// function that streams its CSV (decrypted) into a sink.
    /// - Throws: ``PlatformError/notFound(_:)`` when the job is not a built-in run's or its dataset version is gone.
    public func jobInput(_ scope: JobTokenScope) async throws -> (sizeBytes: Int64, stream: @Sendable (@Sendable ([UInt8]) async throws -> Void) async throws -> Void) {
        let (blobName, size) = try await context.router.withTenantTransaction(scope.tenantID) { connection in
            guard let job = try await connection.query("SELECT kind, spec FROM jobs WHERE id = \(scope.jobID)").first,
                try job["kind", as: String.self] == BuiltinTrainingJob.kind,
                let spec = try? job["spec", as: PostgresJSON.self].decode(BuiltinTrainingJob.self)
            else { throw PlatformError.notFound("This job has no dataset input") }
            guard let version = try await connection.query(
                "SELECT blob_name, size_bytes FROM dataset_versions WHERE dataset_id = \(spec.dataset.id) AND version = \(spec.dataset.version)"
            ).first else { throw PlatformError.notFound("Dataset '\(spec.dataset.name)' v\(spec.dataset.version) no longer exists") }
            return (try version["blob_name", as: String.self], try version["size_bytes", as: Int64.self])
        }
        let blobs = context.blobs
        return (size, { sink in _ = try await blobs.get(scope.tenantID, name: blobName, into: sink) })
    }
}

/// Limits on run parameters and tags.
enum RunParameters {
    /// Names and values one call may set.
    static let maximumPerCall = 100
    /// Parameters a run keeps at most.
    static let maximumPerRun = 1000

    /// Why a set of names and values cannot be stored, or nil.
    static func problem(_ values: [String: String]) -> String? {
        if values.count > maximumPerCall { return "Send at most \(maximumPerCall) at once" }
        if let bad = values.keys.first(where: { $0.isEmpty || $0.count > 250 }) { return "Name '\(bad.prefix(40))' must have 1 to 250 characters" }
        if let (name, _) = values.first(where: { $0.value.count > 5000 }) { return "The value of '\(name.prefix(40))' is over 5,000 characters" }
        return nil
    }
}
