public import Foundation
import PostgresClient
public import Tabular

/// A named table in a project; its content lives in its versions.
public struct Dataset: Sendable, Equatable {
    /// The id.
    public var id: UUID
    /// The project it belongs to.
    public var projectID: UUID
    /// The name, unique in the project (`customers`).
    public var name: String
    /// What it holds.
    public var description: String
    /// `user:<uuid>` or `api_key:<uuid>`.
    public var createdBy: String
    /// When it was created.
    public var createdAt: Date
    /// The newest version's number; nil before the first upload.
    public var latestVersion: Int?

    init(_ row: PostgresRow) throws {
        id = try row["id", as: UUID.self]
        projectID = try row["project_id", as: UUID.self]
        name = try row["name", as: String.self]
        description = try row["description", as: String.self]
        createdBy = try row["created_by", as: String.self]
        createdAt = try row["created_at", as: Date.self]
        latestVersion = try row["latest_version", as: Int?.self]
    }
}

/// What creating a dataset takes.
public struct DatasetForm: Sendable, Equatable {
    /// The name (see ``PlatformName/datasetNameProblem(_:)``).
    public var name: String
    /// What it holds (at most 2,000 characters).
    public var description: String

    /// Creates a form.
    public init(name: String, description: String = "") {
        self.name = name
        self.description = description
    }
}

/// One immutable version of a dataset: its schema and counts.
public struct DatasetVersion: Sendable, Equatable {
    /// 1, 2, … in the order they were made.
    public var version: Int
    /// How the rows arrived.
    public var sourceFormat: TableFormat
    /// The uploaded file's name as the client gave it.
    public var sourceName: String
    /// The columns in order.
    public var columns: [Column]
    /// Rows stored.
    public var rowCount: Int64
    /// Rows of the upload that were skipped.
    public var rejectedCount: Int64
    /// Bytes uploaded.
    public var uploadedBytes: Int64
    /// Bytes of the stored normalised CSV.
    public var sizeBytes: Int64
    /// SHA-256 (hex) of the stored normalised CSV, as a download delivers it.
    public var sha256: String
    /// `user:<uuid>` or `api_key:<uuid>`.
    public var createdBy: String
    /// When it was stored.
    public var createdAt: Date
    /// Where the platform made it from (a training set); nil for uploads.
    public var lineage: DatasetLineage?

    init(_ row: PostgresRow) throws {
        version = try row["version", as: Int.self]
        sourceFormat = TableFormat(rawValue: try row["source_format", as: String.self]) ?? .csv
        sourceName = try row["source_name", as: String.self]
        columns = try row["columns", as: PostgresJSON.self].decode([Column].self)
        rowCount = try row["row_count", as: Int64.self]
        rejectedCount = try row["rejected_count", as: Int64.self]
        uploadedBytes = try row["uploaded_bytes", as: Int64.self]
        sizeBytes = try row["size_bytes", as: Int64.self]
        sha256 = try row["sha256", as: String.self]
        createdBy = try row["created_by", as: String.self]
        createdAt = try row["created_at", as: Date.self]
        lineage = try row["lineage", as: PostgresJSON?.self]?.decode(DatasetLineage.self)
    }
}

/// A version with what its page shows: statistics per column, the first rows and the first rejected rows.
public struct DatasetVersionDetail: Sendable, Equatable {
    /// Schema and counts.
    public var version: DatasetVersion
    /// Statistics per column, in column order (computed while the rows were ingested).
    public var statistics: [NamedColumnStatistics]
    /// The first rows as text, missing values nil (at most ``Datasets/previewRows``).
    public var preview: [[String?]]
    /// The first rows that were skipped, with where and why.
    public var rejections: [RowRejection]
}

/// The formats an upload may come in.
public enum TableFormat: String, Sendable, CaseIterable {
    /// RFC 4180 CSV with a header row.
    case csv
    /// One JSON object per line.
    case jsonl
}
