import Foundation
import PostgresClient
import Residency
import Tabular
public import Tenancy

extension Datasets {
    /// Stores an uploaded CSV or JSON-lines file as the dataset's next version.
    ///
    /// The file is read as it arrives and never held whole: every value is checked against the schema (the user's
    /// column types, the others inferred from the first rows), statistics and a preview are kept, and the accepted
    /// rows are streamed, normalised and encrypted, into the tenant's blob store in its home region. The version row
    /// is inserted only once the blob is completely stored, so a refused, failed or cancelled upload leaves nothing
    /// visible. Audited as `dataset.version_created`.
    /// - Parameters:
    ///   - body: the file's bytes.
    ///   - sourceName: the file's name as the client gave it (informational; only its last path component is kept).
    /// - Throws: ``PlatformError/notFound(_:)``; ``PlatformError/invalidFields(_:)`` naming `file` (unreadable: empty,
    ///   bad header, too many columns, a field or record over the limits) or `columns` (user types that do not fit the
    ///   file); ``PlatformError/uploadRejected(_:)`` with the first bad rows (reject mode, or no row accepted).
    public func upload(
        _ body: some AsyncSequence<[UInt8], any Error> & Sendable, to name: String, project slug: String, settings: IngestionSettings,
        sourceName: String, context request: RequestContext
    ) async throws -> DatasetVersionDetail {
        try await upload(body, to: name, project: slug, settings: settings, sourceName: sourceName, lineage: nil, context: request)
    }

    /// ``upload(_:to:project:settings:sourceName:context:)`` recording where the platform made the file from.
    func upload(
        _ body: some AsyncSequence<[UInt8], any Error> & Sendable, to name: String, project slug: String, settings: IngestionSettings,
        sourceName: String, lineage: DatasetLineage?, context request: RequestContext
    ) async throws -> DatasetVersionDetail {
        try request.requirePlatform(.dataWrite)
        let dataset = try await context.router.withTenantTransaction(request.tenantID) { connection in
            try await Self.find(name, project: try await Projects.find(slug, for: request, on: connection).id, on: connection)
        }
        let blobName = "datasets/\(dataset.id.uuidString.lowercased())/\(UUID().uuidString.lowercased()).csv"
        let normalized = NormalizedTableSequence(base: body, settings: settings)
        try await context.blobs.put(request.tenantID, name: blobName, from: normalized)
        guard let outcome = normalized.result.outcome else {
            try? await context.blobs.delete(request.tenantID, name: blobName)
            throw PlatformError.invalid(field: "file", "The upload ended before the file was read")
        }
        let file = String(sourceName.split(separator: "/").last ?? "").prefix(255)
        do {
            return try await context.router.withTenantTransaction(request.tenantID) { connection in
                guard try await !connection.query("SELECT 1 FROM datasets WHERE id = \(dataset.id) FOR UPDATE").isEmpty else {
                    throw PlatformError.notFound("Dataset '\(name)' was deleted during the upload")
                }
                let version = try await connection.query(
                    "SELECT coalesce(max(version), 0) + 1 AS next FROM dataset_versions WHERE dataset_id = \(dataset.id)"
                )[0]["next", as: Int.self]
                let row = try await connection.query(
                    """
                    INSERT INTO dataset_versions (tenant_id, dataset_id, version, source_format, source_name, columns, row_count, rejected_count,
                                                  uploaded_bytes, size_bytes, sha256, blob_name, statistics, preview, rejections, created_by,
                                                  lineage)
                    VALUES (\(request.tenantID.rawValue), \(dataset.id), \(version), \(settings.format.rawValue), \(String(file)),
                            \(try PostgresJSON(encoding: outcome.columns)), \(outcome.rowCount), \(outcome.rejectedCount), \(outcome.uploadedBytes),
                            \(outcome.storedBytes), \(outcome.sha256), \(blobName), \(try PostgresJSON(encoding: outcome.statistics)),
                            \(try PostgresJSON(encoding: outcome.preview)), \(try PostgresJSON(encoding: outcome.rejections)), \(request.platformActor),
                            \(try lineage.map { try PostgresJSON(encoding: $0) }))
                    RETURNING *
                    """
                )[0]
                try await AuditLog.record(
                    AuditEvent(
                        actor: request.auditActor, action: "dataset.version_created", target: "dataset:\(dataset.id.uuidString.lowercased())",
                        sourceIP: request.clientAddress, requestID: request.requestID,
                        details: [
                            "version": String(version), "rows": String(outcome.rowCount), "rejected_rows": String(outcome.rejectedCount),
                            "sha256": outcome.sha256, "region": request.region,
                        ]
                    ),
                    tenant: request.tenantID, on: connection
                )
                return DatasetVersionDetail(
                    version: try DatasetVersion(row), statistics: outcome.statistics, preview: outcome.preview, rejections: outcome.rejections
                )
            }
        } catch {
            try? await context.blobs.delete(request.tenantID, name: blobName)
            throw error
        }
    }
}
