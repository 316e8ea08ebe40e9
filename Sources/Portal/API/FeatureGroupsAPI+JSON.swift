import Foundation
import Platform
import Tabular

/// `POST …/feature-groups`.
struct CreateFeatureGroupRequest: Decodable {
    var name: String
    var entity: String
    var features: [FeatureJSON]
    var description: String?
    var owner: String?
    var tags: [String]?
    var source: String?
    var eventTimeColumn: String?
    var ttlSeconds: Int64?

    enum CodingKeys: String, CodingKey {
        case name, entity, features, description, owner, tags, source
        case eventTimeColumn = "event_time_column", ttlSeconds = "ttl_seconds"
    }

    func form() throws -> FeatureGroupForm {
        FeatureGroupForm(
            name: name, entity: entity, features: try FeatureJSON.definitions(features), description: description ?? "", owner: owner ?? "",
            tags: tags ?? [], source: source ?? "", eventTimeColumn: eventTimeColumn ?? "event_time", ttlSeconds: ttlSeconds
        )
    }

    static let schema = Schema.object(
        [
            "name": Schema.string(), "entity": Schema.string("The entity's name in the project"), "features": Schema.array(FeatureJSON.schema),
            "description": Schema.string(), "owner": Schema.string(), "tags": Schema.array(Schema.string()), "source": Schema.string(),
            "event_time_column": Schema.string("Default event_time"),
            "ttl_seconds": ["type": ["integer", "null"], "description": "How long a value stays valid after its event time; absent: forever"],
        ],
        required: ["name", "entity", "features"]
    )
}

/// `PATCH …/feature-groups/:group`: catalog metadata; absent fields stay, `"ttl_seconds": null` removes the TTL.
struct UpdateFeatureGroupRequest: Decodable {
    var change: FeatureGroupCatalogChange

    enum CodingKeys: String, CodingKey {
        case description, owner, tags, source
        case ttlSeconds = "ttl_seconds"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var ttl: Int64?? = nil
        if container.contains(.ttlSeconds) { ttl = .some(try container.decodeNil(forKey: .ttlSeconds) ? nil : try container.decode(Int64.self, forKey: .ttlSeconds)) }
        change = FeatureGroupCatalogChange(
            description: try container.decodeIfPresent(String.self, forKey: .description), owner: try container.decodeIfPresent(String.self, forKey: .owner),
            source: try container.decodeIfPresent(String.self, forKey: .source), tags: try container.decodeIfPresent([String].self, forKey: .tags),
            ttlSeconds: ttl
        )
    }

    static let schema = Schema.object(
        [
            "description": Schema.string(), "owner": Schema.string(), "tags": Schema.array(Schema.string()), "source": Schema.string(),
            "ttl_seconds": ["type": ["integer", "null"], "description": "Seconds; null removes the TTL (values never expire)"],
        ],
        required: []
    )
}

/// `POST …/feature-groups/:group/versions`.
struct AddFeatureGroupVersionRequest: Decodable {
    var features: [FeatureJSON]

    static let schema = Schema.object(["features": Schema.array(FeatureJSON.schema)], required: ["features"])
}

/// A feature group as the API shows it (its latest schema).
struct FeatureGroupJSON: Encodable {
    var id: String
    var name: String
    var entity: EntityJSON
    var description: String
    var owner: String
    var tags: [String]
    var source: String
    var eventTimeColumn: String
    var ttlSeconds: Int64?
    var latestVersion: Int
    var features: [FeatureJSON]
    var createdAt: Date
    var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name, entity, description, owner, tags, source, features
        case eventTimeColumn = "event_time_column", ttlSeconds = "ttl_seconds", latestVersion = "latest_version"
        case createdAt = "created_at", updatedAt = "updated_at"
    }

    init(_ group: FeatureGroup) {
        id = group.id.uuidString.lowercased()
        name = group.name
        entity = EntityJSON(group.entity)
        description = group.description
        owner = group.owner
        tags = group.tags
        source = group.source
        eventTimeColumn = group.eventTimeColumn
        ttlSeconds = group.ttlSeconds
        latestVersion = group.latestVersion
        features = group.features.map(FeatureJSON.init)
        createdAt = group.createdAt
        updatedAt = group.updatedAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(entity, forKey: .entity)
        try container.encode(description, forKey: .description)
        try container.encode(owner, forKey: .owner)
        try container.encode(tags, forKey: .tags)
        try container.encode(source, forKey: .source)
        try container.encode(eventTimeColumn, forKey: .eventTimeColumn)
        try container.encode(ttlSeconds, forKey: .ttlSeconds)  // null: values never expire
        try container.encode(latestVersion, forKey: .latestVersion)
        try container.encode(features, forKey: .features)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }

    static let schema = Schema.object([
        "id": Schema.uuid, "name": Schema.string(), "entity": EntityJSON.schema, "description": Schema.string(), "owner": Schema.string(),
        "tags": Schema.array(Schema.string()), "source": Schema.string(), "event_time_column": Schema.string(),
        "ttl_seconds": ["type": ["integer", "null"]], "latest_version": Schema.integer, "features": Schema.array(FeatureJSON.schema),
        "created_at": Schema.dateTime, "updated_at": Schema.dateTime,
    ])
}

/// A group with its versions and freshness.
struct FeatureGroupDetailJSON: Encodable {
    struct Version: Encodable {
        var version: Int
        var features: [FeatureJSON]
        var createdAt: Date

        enum CodingKeys: String, CodingKey {
            case version, features
            case createdAt = "created_at"
        }
    }

    var group: FeatureGroupJSON
    var versions: [Version]
    var latestEventTime: Date?
    var lastWrittenAt: Date?
    var onlineEntities: Int

    enum CodingKeys: String, CodingKey {
        case group, versions
        case latestEventTime = "latest_event_time", lastWrittenAt = "last_written_at", onlineEntities = "online_entities"
    }

    /// Like the synthesised encoding, but the freshness dates are `null` before the first write instead of absent.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(group, forKey: .group)
        try container.encode(versions, forKey: .versions)
        try container.encode(latestEventTime, forKey: .latestEventTime)
        try container.encode(lastWrittenAt, forKey: .lastWrittenAt)
        try container.encode(onlineEntities, forKey: .onlineEntities)
    }

    init(_ detail: FeatureGroupDetail) {
        group = FeatureGroupJSON(detail.group)
        versions = detail.versions.map { Version(version: $0.version, features: $0.features.map(FeatureJSON.init), createdAt: $0.createdAt) }
        latestEventTime = detail.latestEventTime
        lastWrittenAt = detail.lastWrittenAt
        onlineEntities = detail.onlineEntityCount
    }

    static let schema = Schema.object([
        "group": FeatureGroupJSON.schema,
        "versions": Schema.array(Schema.object(["version": Schema.integer, "features": Schema.array(FeatureJSON.schema), "created_at": Schema.dateTime])),
        "latest_event_time": Schema.optionalDateTime, "last_written_at": Schema.optionalDateTime, "online_entities": Schema.integer,
    ])
}

/// `POST /api/v1/feature-groups/:id/push`.
struct PushRequest: Decodable {
    var rows: [[String: ScalarJSON]]

    static let schema = Schema.object(
        [
            "rows": Schema.array(
                ["type": "object", "description": "The entity's join key, the event-time column (RFC 3339) and features by name; absent features are null"]
            )
        ],
        required: ["rows"]
    )
}

/// What a push wrote.
struct PushReceiptJSON: Encodable {
    var version: Int
    var rows: Int
    var onlineUpdates: Int
    var replayed: Bool

    enum CodingKeys: String, CodingKey {
        case version, rows, replayed
        case onlineUpdates = "online_updates"
    }

    static let schema = Schema.object([
        "version": Schema.integer, "rows": Schema.integer, "online_updates": Schema.integer,
        "replayed": ["type": "boolean", "description": "True when this repeats an earlier push with the same Idempotency-Key (nothing written again)"],
    ])
}
