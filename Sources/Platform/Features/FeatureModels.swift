public import Foundation
import PostgresClient
public import Tabular

/// How an entity's keys are written.
public enum EntityKeyType: String, Sendable, Codable, CaseIterable {
    /// Any text (`c-1042`).
    case string
    /// A 64-bit integer (`1042`), kept as its decimal text.
    case int
}

/// What features describe, such as `customer` keyed by `customer_id`.
public struct Entity: Sendable, Equatable {
    /// The id.
    public var id: UUID
    /// The name, unique in the project.
    public var name: String
    /// The column that names an entity in pushed rows, uploaded files and training sets.
    public var joinKey: String
    /// How its keys are written.
    public var keyType: EntityKeyType
    /// What it is.
    public var description: String
    /// When it was created.
    public var createdAt: Date

    init(_ row: PostgresRow, prefix: String = "") throws {
        id = try row[prefix + "id", as: UUID.self]
        name = try row[prefix + "name", as: String.self]
        joinKey = try row[prefix + "join_key", as: String.self]
        keyType = EntityKeyType(rawValue: try row[prefix + "key_type", as: String.self]) ?? .string
        description = try row[prefix + "description", as: String.self]
        createdAt = try row[prefix + "created_at", as: Date.self]
    }
}

/// What creating an entity takes.
public struct EntityForm: Sendable, Equatable {
    /// The name (like a dataset name).
    public var name: String
    /// The key column's name (a letter or `_`, then letters, digits, `_`; at most 63).
    public var joinKey: String
    /// How keys are written.
    public var keyType: EntityKeyType
    /// What it is.
    public var description: String

    /// Creates a form.
    public init(name: String, joinKey: String, keyType: EntityKeyType = .string, description: String = "") {
        self.name = name
        self.joinKey = joinKey
        self.keyType = keyType
        self.description = description
    }
}

/// How personal a feature's values are (GDPR / UAE PDPL classification, shown in the catalog).
public enum PIIClassification: String, Sendable, Codable, CaseIterable {
    /// Not about a person.
    case none
    /// Personal data.
    case personal
    /// Special-category or otherwise sensitive personal data.
    case sensitive
}

/// One feature of a feature group version.
public struct FeatureDefinition: Sendable, Codable, Equatable {
    /// The name, unique in the group.
    public var name: String
    /// Its type.
    public var type: ColumnType
    /// What it means.
    public var description: String
    /// How personal it is.
    public var pii: PIIClassification

    /// Creates a definition.
    public init(name: String, type: ColumnType, description: String = "", pii: PIIClassification = .none) {
        self.name = name
        self.type = type
        self.description = description
        self.pii = pii
    }
}

/// A feature group: typed features of one entity, with catalog metadata; its schema is its latest version.
public struct FeatureGroup: Sendable, Equatable {
    /// The id (used by the push endpoint).
    public var id: UUID
    /// The name, unique in the project.
    public var name: String
    /// The entity its rows describe.
    public var entity: Entity
    /// What it holds.
    public var description: String
    /// Who answers for it (a person or a team).
    public var owner: String
    /// Free tags for search.
    public var tags: [String]
    /// Where the values come from.
    public var source: String
    /// The column holding each row's event time.
    public var eventTimeColumn: String
    /// How long a value stays valid after its event time; nil: forever.
    public var ttlSeconds: Int64?
    /// The newest version's number.
    public var latestVersion: Int
    /// The newest version's features.
    public var features: [FeatureDefinition]
    /// When it was created and last changed.
    public var createdAt: Date, updatedAt: Date

    init(_ row: PostgresRow) throws {
        id = try row["id", as: UUID.self]
        name = try row["name", as: String.self]
        entity = try Entity(row, prefix: "entity_")
        description = try row["description", as: String.self]
        owner = try row["owner", as: String.self]
        tags = try row["tags", as: [String].self]
        source = try row["source", as: String.self]
        eventTimeColumn = try row["event_time_column", as: String.self]
        ttlSeconds = try row["ttl_seconds", as: Int64?.self]
        latestVersion = try row["latest_version", as: Int.self]
        features = try row["features", as: PostgresJSON.self].decode([FeatureDefinition].self)
        createdAt = try row["created_at", as: Date.self]
        updatedAt = try row["updated_at", as: Date.self]
    }
}

/// What creating a feature group takes.
public struct FeatureGroupForm: Sendable, Equatable {
    /// The name (like a dataset name).
    public var name: String
    /// The entity's name in the same project.
    public var entity: String
    /// The features of version 1.
    public var features: [FeatureDefinition]
    /// Catalog metadata.
    public var description: String, owner: String, tags: [String], source: String
    /// The event-time column; default `event_time`.
    public var eventTimeColumn: String
    /// How long values stay valid; nil: forever.
    public var ttlSeconds: Int64?

    /// Creates a form.
    public init(
        name: String, entity: String, features: [FeatureDefinition], description: String = "", owner: String = "", tags: [String] = [],
        source: String = "", eventTimeColumn: String = "event_time", ttlSeconds: Int64? = nil
    ) {
        self.name = name
        self.entity = entity
        self.features = features
        self.description = description
        self.owner = owner
        self.tags = tags
        self.source = source
        self.eventTimeColumn = eventTimeColumn
        self.ttlSeconds = ttlSeconds
    }
}

/// One version of a feature group's schema.
public struct FeatureGroupVersion: Sendable, Equatable {
    /// 1, 2, …
    public var version: Int
    /// Its features in order.
    public var features: [FeatureDefinition]
    /// When it was made.
    public var createdAt: Date

    init(_ row: PostgresRow) throws {
        version = try row["version", as: Int.self]
        features = try row["features", as: PostgresJSON.self].decode([FeatureDefinition].self)
        createdAt = try row["created_at", as: Date.self]
    }
}

/// A feature group with its versions and how fresh its data is.
public struct FeatureGroupDetail: Sendable, Equatable {
    /// The group (its latest schema).
    public var group: FeatureGroup
    /// Every version, newest first.
    public var versions: [FeatureGroupVersion]
    /// The newest event time in the online store, and when a row was last written; nil before any write.
    public var latestEventTime: Date?, lastWrittenAt: Date?
    /// Entities with a row in the online store.
    public var onlineEntityCount: Int
}
