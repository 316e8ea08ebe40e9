import Foundation
import PostgresClient
import Tabular

/// What a training set asks for.
public struct TrainingSetRequest: Sendable, Equatable {
    /// The project's URL name.
    public var project: String
    /// The dataset holding the entity rows (each with the entities' join keys and an "as of" timestamp, plus any other
    /// columns such as labels, which are kept), and its version (nil: the newest).
    public var entityDataset: String, entityVersion: Int?
    /// The entity dataset's timestamp column.
    public var timestampColumn: String
    /// `group:feature` / `group:*` references, or empty with ``featureService`` set.
    public var features: [String]
    /// A feature service whose list to join instead.
    public var featureService: String?
    /// The dataset the result becomes a new version of (created in the project when it does not exist).
    public var output: String

    /// Creates a request.
    public init(
        project: String, entityDataset: String, entityVersion: Int? = nil, timestampColumn: String = "event_time", features: [String] = [],
        featureService: String? = nil, output: String
    ) {
        self.project = project
        self.entityDataset = entityDataset
        self.entityVersion = entityVersion
        self.timestampColumn = timestampColumn
        self.features = features
        self.featureService = featureService
        self.output = output
    }
}

/// How a training set is made from its entity dataset: where each group's key and the "as of" time are, which features
/// become which output columns, and the statements that join them point-in-time correctly.
struct TrainingSetPlan: Sendable {
    /// One feature group taking part: its key column in the entity rows and the features read from it.
    struct GroupJoin: Sendable {
        var group: UUID
        var keyIndex: Int, keyType: EntityKeyType
        var ttlSeconds: Int64?
        /// The group's latest features that are read (values are decoded with these definitions).
        var features: [FeatureDefinition]
    }

    var entityColumns: [Column]
    var timeIndex: Int
    var joins: [GroupJoin]
    /// Entity columns, then one per joined feature.
    var outputColumns: [Column]
    /// Offline rows ingested after this are not read.
    var cutoff: Date

    /// Builds the plan, checking every column the join needs.
    /// - Throws: ``PlatformError/invalidFields(_:)`` naming `timestamp_column` or `entity_dataset`.
    init(entityColumns: [Column], timestampColumn: String, resolved: FeatureStore.ResolvedFeatures, cutoff: Date) throws(PlatformError) {
        let byName = Dictionary(entityColumns.enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { first, _ in first })
        guard let timeIndex = byName[timestampColumn] else {
            throw .invalid(field: "timestamp_column", "The entity dataset has no column '\(String(timestampColumn.prefix(63)))'")
        }
        guard entityColumns[timeIndex].type == .timestamp else {
            throw .invalid(field: "timestamp_column", "The column '\(timestampColumn)' is \(entityColumns[timeIndex].type.rawValue); it must be a timestamp")
        }
        var problems: [String] = []
        var joins: [GroupJoin] = []
        var outputColumns = entityColumns
        var taken = Set(entityColumns.map(\.name))
        for (name, featureNames) in resolved.requested {
            let group = resolved.byName[name]!
            guard let keyIndex = byName[group.entity.joinKey] else {
                problems.append("no column '\(group.entity.joinKey)' for the \(group.entity.name) entity of '\(group.name)'")
                continue
            }
            let keyType = entityColumns[keyIndex].type
            guard keyType == .int || (group.entity.keyType == .string && (keyType == .string || keyType == .category)) else {
                problems.append("the column '\(group.entity.joinKey)' is \(keyType.rawValue), but \(group.entity.name) keys are \(group.entity.keyType.rawValue)")
                continue
            }
            let features = featureNames.compactMap { feature in group.features.first { $0.name == feature } }
            for feature in features {
                let column = taken.contains(feature.name) ? "\(group.name.replacingOccurrences(of: "-", with: "_"))__\(feature.name)" : feature.name
                guard taken.insert(column).inserted else {
                    problems.append("two columns would be called '\(column)'")
                    continue
                }
                outputColumns.append(Column(name: column, type: feature.type))
            }
            joins.append(GroupJoin(group: group.id, keyIndex: keyIndex, keyType: group.entity.keyType, ttlSeconds: group.ttlSeconds, features: features))
        }
        guard problems.isEmpty else { throw .invalid(field: "entity_dataset", "The entity dataset cannot be joined: " + problems.joined(separator: "; ")) }
        (self.entityColumns, self.timeIndex, self.joins, self.outputColumns, self.cutoff) = (entityColumns, timeIndex, joins, outputColumns, cutoff)
    }

    /// The batch's output rows: each entity row followed by the features as of its timestamp (null when the entity
    /// had no value at or before it, within the group's time to live). Runs one statement per group.
    nonisolated(nonsending) func join(_ batch: [[TabularValue]], on connection: PostgresConnection) async throws -> [[TabularValue]] {
        var output = batch
        for join in joins {
            var positions: [Int] = [], keys: [String] = [], times: [String] = []
            for (position, row) in batch.enumerated() {
                guard let key = FeatureColumnPlan.keyText(row[join.keyIndex], type: join.keyType), case .timestamp(let micros) = row[timeIndex] else { continue }
                positions.append(position)
                keys.append(key)
                times.append(TimestampText.format(microseconds: micros))
            }
            var found: [Int: [String: TabularValue]] = [:]
            if !positions.isEmpty {
                let rows = try await connection.query(
                    """
                    SELECT e.position, f.feature_values::text AS feature_values
                    FROM unnest(\(positions)::integer[], \(keys)::text[], \(times)::text[]) AS e(position, entity_key, as_of)
                    JOIN LATERAL (
                        SELECT r.feature_values FROM feature_rows r
                        WHERE r.group_id = \(join.group) AND r.entity_key = e.entity_key AND r.event_time <= e.as_of::timestamptz
                          AND (\(join.ttlSeconds)::bigint IS NULL OR r.event_time >= e.as_of::timestamptz - make_interval(secs => \(join.ttlSeconds)::bigint))
                          AND r.ingested_at <= \(cutoff)
                        ORDER BY r.event_time DESC, r.seq DESC
                        LIMIT 1
                    ) f ON true
                    """
                )
                for row in rows {
                    found[try row["position", as: Int.self]] = FeatureValuesJSON.values(try row["feature_values", as: String.self], features: join.features)
                }
            }
            for position in output.indices {
                let values = found[position]
                output[position].append(contentsOf: join.features.map { values?[$0.name] ?? .null })
            }
        }
        return output
    }
}
