import Foundation
import PostgresClient
import Residency
import Tabular
public import Tenancy

/// A project's datasets and their versions. Reads need `data.read`; creating datasets and uploading versions need
/// `data.write` and are audited; a download of a version's rows is audited too (it is data leaving the platform).
public struct Datasets: Sendable {
    let context: PlatformContext

    /// How many rows a version keeps as its preview.
    public static let previewRows = 20

    /// Creates an empty dataset in a project.
    /// - Throws: ``PlatformError/notFound(_:)`` for an unknown project, ``PlatformError/invalidFields(_:)`` naming
    ///   `name` or `description`, ``PlatformError/conflict(_:)`` when the name is taken in the project.
    public func create(_ form: DatasetForm, project slug: String, context request: RequestContext) async throws -> Dataset {
        try request.requirePlatform(.dataWrite)
        let name = form.name.trimmingCharacters(in: .whitespaces)
        var errors: [String: String] = [:]
        if let problem = PlatformName.datasetNameProblem(name) { errors["name"] = problem }
        if form.description.count > 2000 { errors["description"] = "Keep the description under 2,000 characters" }
        guard errors.isEmpty else { throw PlatformError.invalidFields(errors) }
        do {
            return try await context.router.withTenantTransaction(request.tenantID) { connection in
                let project = try await Projects.find(slug, for: request, on: connection)
                let id = UUID()
                try await connection.execute(
                    """
                    INSERT INTO datasets (tenant_id, id, project_id, name, description, created_by)
                    VALUES (\(request.tenantID.rawValue), \(id), \(project.id), \(name), \(form.description), \(request.platformActor))
                    """
                )
                try await AuditLog.record(
                    AuditEvent(
                        actor: request.auditActor, action: "dataset.created", target: "dataset:\(id.uuidString.lowercased())",
                        sourceIP: request.clientAddress, requestID: request.requestID, details: ["project": project.slug, "name": name]
                    ),
                    tenant: request.tenantID, on: connection
                )
                return try await Self.find(name, project: project.id, on: connection)
            }
        } catch let error as PostgresError where error.sqlState == "23505" {
            throw PlatformError.conflict("The project has a dataset called '\(name)' already; upload a new version to it or choose another name")
        }
    }

    /// The project's datasets, by name, each with its latest version number.
    public func list(project slug: String, context request: RequestContext) async throws -> [Dataset] {
        try request.requirePlatform(.dataRead)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            let project = try await Projects.find(slug, for: request, on: connection)
            return try await connection.query(Self.selectDatasets("WHERE d.project_id = \(project.id) ORDER BY d.name")).map(Dataset.init)
        }
    }

    /// One dataset with its versions, newest first.
    /// - Throws: ``PlatformError/notFound(_:)`` for an unknown project or dataset.
    public func get(_ name: String, project slug: String, context request: RequestContext) async throws -> (Dataset, [DatasetVersion]) {
        try request.requirePlatform(.dataRead)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            let project = try await Projects.find(slug, for: request, on: connection)
            let dataset = try await Self.find(name, project: project.id, on: connection)
            let versions = try await connection.query(Self.selectVersions("WHERE dataset_id = \(dataset.id) ORDER BY version DESC")).map(DatasetVersion.init)
            return (dataset, versions)
        }
    }

    /// One version with its statistics, preview and rejected rows.
    /// - Throws: ``PlatformError/notFound(_:)`` for an unknown project, dataset or version.
    public func version(_ number: Int, of name: String, project slug: String, context request: RequestContext) async throws -> DatasetVersionDetail {
        try request.requirePlatform(.dataRead)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            let project = try await Projects.find(slug, for: request, on: connection)
            let dataset = try await Self.find(name, project: project.id, on: connection)
            guard let row = try await connection.query("SELECT * FROM dataset_versions WHERE dataset_id = \(dataset.id) AND version = \(number)").first
            else { throw PlatformError.notFound("Dataset '\(name)' has no version \(number)\(dataset.latestVersion.map { "; the latest is \($0)" } ?? "")") }
            return DatasetVersionDetail(
                version: try DatasetVersion(row),
                statistics: try row["statistics", as: PostgresJSON.self].decode([NamedColumnStatistics].self),
                preview: try row["preview", as: PostgresJSON.self].decode([[String?]].self),
                rejections: try row["rejections", as: PostgresJSON.self].decode([RowRejection].self)
            )
        }
    }

    /// Streams a version's rows (the stored normalised CSV, decrypted) into `sink`; audited as `dataset.downloaded`.
    /// - Returns: the version, once every byte was delivered.
    /// - Throws: ``PlatformError/notFound(_:)``; a blob-store error when the stored file is damaged (after some bytes
    ///   may have been delivered: discard them).
    public func download(
        _ number: Int, of name: String, project slug: String, context request: RequestContext, into sink: @Sendable ([UInt8]) async throws -> Void
    ) async throws -> DatasetVersion {
        try request.requirePlatform(.dataRead)
        let (version, blobName) = try await context.router.withTenantTransaction(request.tenantID) { connection in
            let project = try await Projects.find(slug, for: request, on: connection)
            let dataset = try await Self.find(name, project: project.id, on: connection)
            guard let row = try await connection.query(Self.selectVersions("WHERE dataset_id = \(dataset.id) AND version = \(number)")).first
            else { throw PlatformError.notFound("Dataset '\(name)' has no version \(number)") }
            try await AuditLog.record(
                AuditEvent(
                    actor: request.auditActor, action: "dataset.downloaded", target: "dataset:\(dataset.id.uuidString.lowercased())",
                    sourceIP: request.clientAddress, requestID: request.requestID, details: ["version": String(number)]
                ),
                tenant: request.tenantID, on: connection
            )
            return (try DatasetVersion(row), try row["blob_name", as: String.self])
        }
        try await context.blobs.get(request.tenantID, name: blobName, into: sink)
        return version
    }

    /// The dataset `name` of a project in the transaction's tenant, or ``PlatformError/notFound(_:)``.
    nonisolated(nonsending) static func find(_ name: String, project: UUID, on connection: PostgresConnection) async throws -> Dataset {
        guard let row = try await connection.query(selectDatasets("WHERE d.project_id = \(project) AND d.name = \(name)")).first else {
            throw PlatformError.notFound("There is no dataset '\(String(name.prefix(60)))' in this project")
        }
        return try Dataset(row)
    }

    /// Datasets with their latest version number, filtered and ordered by `rest` (whose values are bound).
    static func selectDatasets(_ rest: PostgresQuery) -> PostgresQuery {
        PostgresQuery(
            unsafeSQL: "SELECT d.*, (SELECT max(v.version) FROM dataset_versions v WHERE v.dataset_id = d.id) AS latest_version FROM datasets d "
                + rest.sql,
            bindings: rest.bindings
        )
    }

    /// Versions without their large columns (statistics, preview, rejections), filtered and ordered by `rest`.
    static func selectVersions(_ rest: PostgresQuery) -> PostgresQuery {
        PostgresQuery(
            unsafeSQL: """
                SELECT version, source_format, source_name, columns, row_count, rejected_count, uploaded_bytes, size_bytes, sha256, blob_name,
                       created_by, created_at, lineage
                FROM dataset_versions \(rest.sql)
                """,
            bindings: rest.bindings
        )
    }
}
