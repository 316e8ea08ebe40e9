import Foundation
import Platform
import Tabular

/// `POST …/feature-groups/:group/ingest`.
struct IngestRequest: Decodable {
    var dataset: String
    var version: Int?
    var materialize: Bool?

    static let schema = Schema.object(
        [
            "dataset": Schema.string("A dataset of the same project"), "version": ["type": "integer", "description": "Default: the newest"],
            "materialize": ["type": "boolean", "description": "Load the new rows into the online store (default true)"],
        ],
        required: ["dataset"]
    )
}

/// What materialisation did (keys converted to snake case).
struct MaterializationJSON: Encodable {
    var rowsRead: Int
    var onlineUpdates: Int
    var full: Bool

    init(_ receipt: MaterializationReceipt) {
        (rowsRead, onlineUpdates, full) = (receipt.rowsRead, receipt.onlineUpdates, receipt.isFull)
    }

    static let schema = Schema.object(["rows_read": Schema.integer, "online_updates": Schema.integer, "full": Schema.boolean])
}

/// One version's statistics (keys converted to snake case).
struct FeatureStatisticsJSON: Encodable {
    var version: Int
    var rowCount: Int
    var features: [NamedColumnStatistics]
    var computedAt: Date
    var stale: Bool

    init(_ statistics: FeatureVersionStatistics) {
        version = statistics.version
        rowCount = statistics.summary.rowCount
        features = statistics.summary.columns
        computedAt = statistics.computedAt
        stale = statistics.isStale
    }

    static let schema = Schema.object([
        "version": Schema.integer, "row_count": Schema.integer, "computed_at": Schema.dateTime,
        "stale": ["type": "boolean", "description": "Rows were pushed after they were computed; POST to the same path recomputes them"],
        "features": Schema.array(Schema.object(["name": Schema.string(), "statistics": ["type": "object"]])),
    ])
}

/// What ingesting a dataset did (keys converted to snake case).
struct FeatureIngestionJSON: Encodable {
    var dataset: String
    var datasetVersion: Int
    var groupVersion: Int
    var rows: Int
    var skippedRows: Int
    var materialization: MaterializationJSON?
    var statistics: FeatureStatisticsJSON

    init(_ receipt: FeatureIngestionReceipt) {
        dataset = receipt.dataset
        datasetVersion = receipt.datasetVersion
        groupVersion = receipt.groupVersion
        rows = receipt.rowCount
        skippedRows = receipt.skippedCount
        materialization = receipt.materialization.map(MaterializationJSON.init)
        statistics = FeatureStatisticsJSON(receipt.statistics)
    }

    static let schema = Schema.object(
        [
            "dataset": Schema.string(), "dataset_version": Schema.integer, "group_version": Schema.integer, "rows": Schema.integer,
            "skipped_rows": ["type": "integer", "description": "Rows without an entity key or event time"],
            "materialization": MaterializationJSON.schema, "statistics": FeatureStatisticsJSON.schema,
        ],
        required: ["dataset", "dataset_version", "group_version", "rows", "skipped_rows", "statistics"]
    )
}

/// `PUT …/feature-services/:service`.
struct SaveFeatureServiceRequest: Decodable {
    var description: String?
    var features: [String]

    static let schema = Schema.object(
        ["description": Schema.string(), "features": Schema.array(Schema.string("group:feature or group:*"))], required: ["features"]
    )
}

/// A feature service (keys converted to snake case).
struct FeatureServiceJSON: Encodable {
    var id: UUID
    var name: String
    var description: String
    var features: [String]
    var createdBy: String
    var createdAt: Date
    var updatedAt: Date

    init(_ service: FeatureService) {
        (id, name, description, features) = (service.id, service.name, service.description, service.features)
        (createdBy, createdAt, updatedAt) = (service.createdBy, service.createdAt, service.updatedAt)
    }

    static let schema = Schema.object([
        "id": Schema.uuid, "name": Schema.string(), "description": Schema.string(), "features": Schema.array(Schema.string()),
        "created_by": Schema.string(), "created_at": Schema.dateTime, "updated_at": Schema.dateTime,
    ])
}

/// `POST …/training-sets`.
struct TrainingSetRequestJSON: Decodable {
    var entityDataset: String
    var entityVersion: Int?
    var timestampColumn: String?
    var features: [String]?
    var featureService: String?
    var output: String

    enum CodingKeys: String, CodingKey {
        case features, output
        case entityDataset = "entity_dataset", entityVersion = "entity_version", timestampColumn = "timestamp_column"
        case featureService = "feature_service"
    }

    func request(project: String) -> TrainingSetRequest {
        TrainingSetRequest(
            project: project, entityDataset: entityDataset, entityVersion: entityVersion, timestampColumn: timestampColumn ?? "event_time",
            features: features ?? [], featureService: featureService, output: output
        )
    }

    static let schema = Schema.object(
        [
            "entity_dataset": Schema.string("A dataset of the project with the entities' join keys and a timestamp per row (other columns are kept)"),
            "entity_version": ["type": "integer", "description": "Default: the newest"],
            "timestamp_column": Schema.string("The entity dataset's timestamp column (default event_time)"),
            "features": Schema.array(Schema.string("group:feature or group:*")),
            "feature_service": Schema.string("A feature service to join instead of `features`"),
            "output": Schema.string("The dataset the result becomes a new version of (created when missing)"),
        ],
        required: ["entity_dataset", "output"]
    )
}

/// Where a platform-made dataset version came from.
struct LineageJSON: Encodable {
    var lineage: DatasetLineage

    enum CodingKeys: String, CodingKey {
        case kind, entities, features, cutoff
        case featureService = "feature_service"
    }

    enum EntityKeys: String, CodingKey {
        case dataset, version
        case datasetID = "dataset_id", timestampColumn = "timestamp_column"
    }

    enum FeatureKeys: String, CodingKey {
        case reference, column
        case groupID = "group_id", groupVersion = "group_version"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(lineage.kind, forKey: .kind)
        var entities = container.nestedContainer(keyedBy: EntityKeys.self, forKey: .entities)
        try entities.encode(lineage.entities.datasetID, forKey: .datasetID)
        try entities.encode(lineage.entities.dataset, forKey: .dataset)
        try entities.encode(lineage.entities.version, forKey: .version)
        try entities.encode(lineage.entities.timestampColumn, forKey: .timestampColumn)
        var features = container.nestedUnkeyedContainer(forKey: .features)
        for feature in lineage.features {
            var entry = features.nestedContainer(keyedBy: FeatureKeys.self)
            try entry.encode(feature.reference, forKey: .reference)
            try entry.encode(feature.column, forKey: .column)
            try entry.encode(feature.groupID, forKey: .groupID)
            try entry.encode(feature.groupVersion, forKey: .groupVersion)
        }
        try container.encode(lineage.featureService, forKey: .featureService)
        try container.encode(lineage.cutoff, forKey: .cutoff)
    }

    static let schema: JSONValue = [
        "type": ["object", "null"],
        "description": "How the platform made this version (a training set: the entity dataset, the joined features, the cut-off); null for uploads",
    ]
}

/// A feature group's lineage (keys converted to snake case).
struct FeatureLineageJSON: Encodable {
    struct Ingestion: Encodable {
        var dataset: String, datasetVersion: Int, groupVersion: Int, rows: Int, skippedRows: Int, createdBy: String, createdAt: Date
    }

    struct TrainingSet: Encodable {
        var dataset: String, version: Int, rows: Int64, createdAt: Date
    }

    struct ModelUse: Encodable {
        var model: String, version: Int, createdAt: Date
    }

    var ingestions: [Ingestion]
    var trainingSets: [TrainingSet]
    var models: [ModelUse]
    var materializedAt: Date?
    var rowsSinceMaterialization: Int

    init(_ lineage: FeatureGroupLineage) {
        ingestions = lineage.ingestions.map {
            Ingestion(
                dataset: $0.dataset, datasetVersion: $0.datasetVersion, groupVersion: $0.groupVersion, rows: $0.rowCount, skippedRows: $0.skippedCount,
                createdBy: $0.createdBy, createdAt: $0.createdAt
            )
        }
        trainingSets = lineage.trainingSets.map { TrainingSet(dataset: $0.dataset, version: $0.version, rows: $0.rowCount, createdAt: $0.createdAt) }
        models = lineage.models.map { ModelUse(model: $0.model, version: $0.version, createdAt: $0.createdAt) }
        materializedAt = lineage.materializedAt
        rowsSinceMaterialization = lineage.rowsSinceMaterialization
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ingestions, forKey: .ingestions)
        try container.encode(trainingSets, forKey: .trainingSets)
        try container.encode(models, forKey: .models)
        try container.encode(materializedAt, forKey: .materializedAt)  // null until the first materialisation
        try container.encode(rowsSinceMaterialization, forKey: .rowsSinceMaterialization)
    }

    enum CodingKeys: String, CodingKey {
        case ingestions, trainingSets, models, materializedAt, rowsSinceMaterialization
    }

    static let schema = Schema.object([
        "ingestions": Schema.array(
            Schema.object([
                "dataset": Schema.string(), "dataset_version": Schema.integer, "group_version": Schema.integer, "rows": Schema.integer,
                "skipped_rows": Schema.integer, "created_by": Schema.string(), "created_at": Schema.dateTime,
            ])
        ),
        "training_sets": Schema.array(Schema.object(["dataset": Schema.string(), "version": Schema.integer, "rows": Schema.integer, "created_at": Schema.dateTime])),
        "models": Schema.array(Schema.object(["model": Schema.string(), "version": Schema.integer, "created_at": Schema.dateTime])),
        "materialized_at": Schema.optionalDateTime, "rows_since_materialization": Schema.integer,
    ])
}
