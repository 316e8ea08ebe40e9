import AgentProtocol
public import ComputeAgents
import Foundation
import PostgresClient
import Residency

extension ModelRegistry {
    /// The model file a `serve.replica` job serves, for `GET /agent/v1/jobs/:job/model`: its size and a function that
    /// streams it (decrypted) into a sink. Only the version the job's spec names is reachable with its token.
    /// - Throws: ``PlatformError/notFound(_:)`` when the job is not a replica or its version is gone.
    public func replicaModel(_ scope: JobTokenScope) async throws -> (sizeBytes: Int64, stream: @Sendable (@Sendable ([UInt8]) async throws -> Void) async throws -> Void) {
        let (blobName, size) = try await context.router.withTenantTransaction(scope.tenantID) { connection in
            guard let job = try await connection.query("SELECT kind, spec FROM jobs WHERE id = \(scope.jobID)").first,
                try job["kind", as: String.self] == ServeReplicaSpec.kind,
                let spec = try? job["spec", as: PostgresJSON.self].decode(ServeReplicaSpec.self)
            else { throw PlatformError.notFound("This job serves no model") }
            guard let row = try await connection.query(
                "SELECT blob_name, size_bytes FROM model_versions WHERE model_id = \(spec.model.modelID) AND version = \(spec.model.version)"
            ).first else { throw PlatformError.notFound("Model '\(spec.model.name)' v\(spec.model.version) no longer exists") }
            return (try row["blob_name", as: String.self], try row["size_bytes", as: Int64.self])
        }
        let blobs = context.blobs
        return (size, { sink in _ = try await blobs.get(scope.tenantID, name: blobName, into: sink) })
    }
}
