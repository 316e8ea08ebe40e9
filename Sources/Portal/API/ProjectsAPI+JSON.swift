import Foundation
import Platform
import Tabular

/// `POST /api/v1/projects`.
struct CreateProjectRequest: Decodable {
    var name: String
    var slug: String?
    var description: String?

    var form: ProjectForm { ProjectForm(name: name, slug: slug, description: description ?? "") }

    static let schema = Schema.object(
        [
            "name": Schema.string("1–100 characters"),
            "slug": Schema.string("The URL name: 2–40 lower-case letters, digits and hyphens; made from the name when absent"),
            "description": Schema.string(),
        ],
        required: ["name"]
    )
}

/// A project as the API shows it.
struct ProjectJSON: Encodable {
    var id: String
    var slug: String
    var name: String
    var description: String
    var createdBy: String
    var createdAt: Date
    var restricted: Bool

    enum CodingKeys: String, CodingKey {
        case id, slug, name, description, restricted
        case createdBy = "created_by", createdAt = "created_at"
    }

    init(_ project: Project) {
        id = project.id.uuidString.lowercased()
        slug = project.slug
        name = project.name
        description = project.description
        createdBy = project.createdBy
        createdAt = project.createdAt
        restricted = project.isRestricted
    }

    static let schema = Schema.object([
        "id": Schema.uuid, "slug": Schema.string(), "name": Schema.string(), "description": Schema.string(),
        "created_by": Schema.string("user:<id> or api_key:<id>"), "created_at": Schema.dateTime,
        "restricted": ["type": "boolean", "description": "Only the members on its access list (and member managers) see it"],
    ])
}

/// `POST /api/v1/projects/:project/datasets`.
struct CreateDatasetRequest: Decodable {
    var name: String
    var description: String?

    var form: DatasetForm { DatasetForm(name: name, description: description ?? "") }

    static let schema = Schema.object(
        [
            "name": Schema.string("2–60 lower-case letters, digits, hyphens and underscores, unique in the project"),
            "description": Schema.string(),
        ],
        required: ["name"]
    )
}

/// A dataset as the API shows it.
struct DatasetJSON: Encodable {
    var id: String
    var name: String
    var description: String
    var latestVersion: Int?
    var createdBy: String
    var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name, description
        case latestVersion = "latest_version", createdBy = "created_by", createdAt = "created_at"
    }

    /// Like the synthesised encoding, but `latest_version` is `null` before the first upload instead of absent.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(description, forKey: .description)
        try container.encode(latestVersion, forKey: .latestVersion)
        try container.encode(createdBy, forKey: .createdBy)
        try container.encode(createdAt, forKey: .createdAt)
    }

    init(_ dataset: Dataset) {
        id = dataset.id.uuidString.lowercased()
        name = dataset.name
        description = dataset.description
        latestVersion = dataset.latestVersion
        createdBy = dataset.createdBy
        createdAt = dataset.createdAt
    }

    static let schema = Schema.object([
        "id": Schema.uuid, "name": Schema.string(), "description": Schema.string(), "latest_version": ["type": ["integer", "null"]],
        "created_by": Schema.string(), "created_at": Schema.dateTime,
    ])
}

/// A column of a schema.
struct ColumnJSON: Encodable {
    var name: String
    var type: String

    static let schema = Schema.object([
        "name": Schema.string(), "type": ["type": "string", "enum": .array(ColumnType.allCases.map { JSONValue.string($0.rawValue) })],
    ])
}

/// A dataset version's schema and counts.
struct DatasetVersionJSON: Encodable {
    var version: Int
    var sourceFormat: String
    var sourceName: String
    var columns: [ColumnJSON]
    var rowCount: Int64
    var rejectedCount: Int64
    var uploadedBytes: Int64
    var sizeBytes: Int64
    var sha256: String
    var createdBy: String
    var createdAt: Date
    var lineage: LineageJSON?

    enum CodingKeys: String, CodingKey {
        case version, columns, sha256, lineage
        case sourceFormat = "source_format", sourceName = "source_name", rowCount = "row_count", rejectedCount = "rejected_count"
        case uploadedBytes = "uploaded_bytes", sizeBytes = "size_bytes", createdBy = "created_by", createdAt = "created_at"
    }

    init(_ version: DatasetVersion) {
        self.version = version.version
        sourceFormat = version.sourceFormat.rawValue
        sourceName = version.sourceName
        columns = version.columns.map { ColumnJSON(name: $0.name, type: $0.type.rawValue) }
        rowCount = version.rowCount
        rejectedCount = version.rejectedCount
        uploadedBytes = version.uploadedBytes
        sizeBytes = version.sizeBytes
        sha256 = version.sha256
        createdBy = version.createdBy
        createdAt = version.createdAt
        lineage = version.lineage.map(LineageJSON.init)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encode(sourceFormat, forKey: .sourceFormat)
        try container.encode(sourceName, forKey: .sourceName)
        try container.encode(columns, forKey: .columns)
        try container.encode(rowCount, forKey: .rowCount)
        try container.encode(rejectedCount, forKey: .rejectedCount)
        try container.encode(uploadedBytes, forKey: .uploadedBytes)
        try container.encode(sizeBytes, forKey: .sizeBytes)
        try container.encode(sha256, forKey: .sha256)
        try container.encode(createdBy, forKey: .createdBy)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(lineage, forKey: .lineage)  // null for uploads, not left out
    }

    static let schema = Schema.object([
        "version": Schema.integer, "source_format": ["type": "string", "enum": ["csv", "jsonl"]], "source_name": Schema.string(),
        "columns": Schema.array(ColumnJSON.schema), "row_count": Schema.integer, "rejected_count": Schema.integer,
        "uploaded_bytes": Schema.integer, "size_bytes": Schema.integer,
        "sha256": Schema.string("SHA-256 (hex) of the stored CSV, as the content download delivers it"),
        "created_by": Schema.string(), "created_at": Schema.dateTime, "lineage": LineageJSON.schema,
    ])
}

/// `GET …/datasets/:dataset`: the dataset and its versions, newest first.
struct DatasetDetailJSON: Encodable {
    var dataset: DatasetJSON
    var versions: [DatasetVersionJSON]

    static let schema = Schema.object(["dataset": DatasetJSON.schema, "versions": Schema.array(DatasetVersionJSON.schema)])
}

/// A version with its statistics, preview and rejected rows.
struct DatasetVersionDetailJSON: Encodable {
    var version: DatasetVersionJSON
    var statistics: [NamedColumnStatistics]
    var preview: [[String?]]
    var rejections: [RowRejection]

    init(_ detail: DatasetVersionDetail) {
        version = DatasetVersionJSON(detail.version)
        statistics = detail.statistics
        preview = detail.preview
        rejections = detail.rejections
    }

    static let schema = Schema.object([
        "version": DatasetVersionJSON.schema,
        "statistics": Schema.array(
            Schema.object([
                "name": Schema.string(),
                "statistics": [
                    "type": "object",
                    "description": .string(
                        "count, missing, distinct_count; numeric (mean, standard_deviation, minimum, maximum, quantiles, histogram), "
                            + "timestamp, boolean or text (frequent_values) depending on the type"
                    ),
                ],
            ])
        ),
        "preview": Schema.array(Schema.array(["type": ["string", "null"]])),
        "rejections": Schema.array(Schema.object(["line": Schema.integer, "column": ["type": ["string", "null"]], "reason": Schema.string()])),
    ])
}

/// `GET`/`PUT /api/v1/projects/:project/access`.
struct ProjectAccessJSON: Codable {
    var restricted: Bool
    var members: [UUID]

    init(_ access: ProjectAccess) {
        restricted = access.isRestricted
        members = access.members
    }

    static let schema = Schema.object([
        "restricted": ["type": "boolean", "description": "True: only the listed members (and members with members.manage) see the project"],
        "members": Schema.array(Schema.uuid),
    ])
}
