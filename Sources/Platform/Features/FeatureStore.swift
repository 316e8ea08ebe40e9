public import Foundation
import PostgresClient
import Residency
public import Tabular
public import Tenancy

/// Writes to and reads from the feature store: pushes (offline and online together) and online reads, with the
/// in-process cache of online rows. Reads need `data.read`, pushes `data.write`.
public struct FeatureStore: Sendable {
    let context: PlatformContext
    let cache: OnlineFeatureCache

    /// The NOTIFY channel that tells every control-plane process a group's online rows changed (payload: its id).
    static let channel = "falaj_features"

    /// The most entity rows and features one online read may ask for.
    public static let maximumOnlineEntities = 1_000, maximumOnlineFeatures = 200

    /// What an online read asks for.
    public struct OnlineRequest: Sendable, Equatable {
        /// The project's URL name.
        public var project: String
        /// One object per entity: join key → key (a group uses the key of its entity's join key).
        public var entityRows: [[String: JSONScalar]]
        /// `group:feature` references, or `group:*` for every feature of the group's latest version.
        public var features: [String]
        /// A feature service whose saved list to read instead of `features` (which must then be empty).
        public var featureService: String?

        /// Creates a request.
        public init(project: String, entityRows: [[String: JSONScalar]], features: [String], featureService: String? = nil) {
            self.project = project
            self.entityRows = entityRows
            self.features = features
            self.featureService = featureService
        }
    }

    /// One feature's value for one entity.
    public struct OnlineValue: Sendable, Equatable {
        /// How the value was found.
        public enum Status: String, Sendable {
            /// The entity has a row and its value is within the group's time to live.
            case present
            /// The entity has no row in the group (or the row lacks the key it needs).
            case missing
            /// The row is older than the group's time to live allows.
            case expired
        }

        /// The value (``TabularValue/null`` unless present, and null when the row holds no value for it).
        public var value: TabularValue
        /// The event time of the row it came from.
        public var eventTime: Date?
        /// Present, missing or expired.
        public var status: Status

        /// A value as a read answers it.
        public init(value: TabularValue, eventTime: Date?, status: Status) {
            self.value = value
            self.eventTime = eventTime
            self.status = status
        }
    }

    /// The answer for one entity row, in the order asked.
    public struct OnlineResult: Sendable, Equatable {
        /// Feature reference (`group:feature`) → value, for every feature asked.
        public var values: [String: OnlineValue]
        /// False when no requested group had a row for this entity.
        public var isFound: Bool

        /// One entity row's answer.
        public init(values: [String: OnlineValue], isFound: Bool) {
            self.values = values
            self.isFound = isFound
        }
    }

    /// Reads the latest values of `request.features` for each entity row, answering missing entities explicitly.
    /// - Throws: ``PlatformError/invalidFields(_:)`` (`features`, `entity_rows`) for unknown groups or features and
    ///   over-large requests; ``PlatformError/notFound(_:)`` for an unknown project.
    public func readOnline(_ request: OnlineRequest, context requestContext: RequestContext) async throws -> (features: [String], results: [OnlineResult]) {
        try requestContext.requirePlatform(.dataRead)
        guard (1...Self.maximumOnlineEntities).contains(request.entityRows.count) else {
            throw PlatformError.invalid(field: "entity_rows", "Ask for 1–\(Self.maximumOnlineEntities) entities at once")
        }
        let groups = try await resolve(request, context: requestContext)
        var resolved: [(reference: String, group: FeatureGroup, feature: FeatureDefinition)] = []
        for (groupName, names) in groups.requested {
            let group = groups.byName[groupName]!
            for name in names {
                guard let feature = group.features.first(where: { $0.name == name }) else { continue }
                resolved.append(("\(group.name):\(feature.name)", group, feature))
            }
        }
        guard resolved.count <= Self.maximumOnlineFeatures else {
            throw PlatformError.invalid(field: "features", "Ask for at most \(Self.maximumOnlineFeatures) features at once")
        }
        var rowsByGroup: [UUID: [String: OnlineFeatureCache.OnlineRow?]] = [:]
        for group in groups.byName.values {
            let keys = Set(request.entityRows.compactMap { Self.entityKey($0[group.entity.joinKey], type: group.entity.keyType) })
            rowsByGroup[group.id] = try await onlineRows(group, keys: Array(keys), tenant: requestContext)
        }
        let now = Date()
        let results = request.entityRows.map { entityRow -> OnlineResult in
            var values: [String: OnlineValue] = [:]
            var isFound = false
            for (reference, group, feature) in resolved {
                let key = Self.entityKey(entityRow[group.entity.joinKey], type: group.entity.keyType)
                guard let key, let row = rowsByGroup[group.id]?[key] ?? nil else {
                    values[reference] = OnlineValue(value: .null, eventTime: nil, status: .missing)
                    continue
                }
                isFound = true
                if let ttl = group.ttlSeconds, now.timeIntervalSince(row.eventTime) > Double(ttl) {
                    values[reference] = OnlineValue(value: .null, eventTime: row.eventTime, status: .expired)
                } else {
                    values[reference] = OnlineValue(value: row.values[feature.name] ?? .null, eventTime: row.eventTime, status: .present)
                }
            }
            return OnlineResult(values: values, isFound: isFound)
        }
        return (resolved.map(\.reference), results)
    }

    /// The online rows of `keys` in `group`: from the cache where current, the rest in one query (then cached).
    private func onlineRows(_ group: FeatureGroup, keys: [String], tenant request: RequestContext) async throws -> [String: OnlineFeatureCache.OnlineRow?] {
        var rows: [String: OnlineFeatureCache.OnlineRow?] = [:]
        var misses: [String] = []
        for key in keys {
            if let entry = cache.lookup(group: group.id, entityKey: key) { rows[key] = entry.row } else { misses.append(key) }
        }
        guard !misses.isEmpty else { return rows }
        let generation = cache.generation(of: group.id)
        let fetched = try await context.router.withTenantTransaction(request.tenantID) { connection in
            try await connection.query(
                "SELECT entity_key, version, event_time, feature_values FROM online_features WHERE group_id = \(group.id) AND entity_key = ANY(\(misses)::text[])"
            )
        }
        var read: [String: OnlineFeatureCache.OnlineRow?] = Dictionary(uniqueKeysWithValues: misses.map { ($0, nil) })
        let featuresByVersion = try await versionsFeatures(group, versions: Set(try fetched.map { try $0["version", as: Int.self] }), request: request)
        for row in fetched {
            let version = try row["version", as: Int.self]
            let text = try row["feature_values", as: PostgresJSON.self].text
            guard let values = FeatureValuesJSON.values(text, features: featuresByVersion[version] ?? group.features) else { continue }
            read[try row["entity_key", as: String.self]] = OnlineFeatureCache.OnlineRow(version: version, eventTime: try row["event_time", as: Date.self], values: values)
        }
        cache.store(group: group.id, generation: generation, rows: read)
        rows.merge(read) { _, new in new }
        return rows
    }

    /// The features of each of `versions` (rows written under an older schema are read with that schema).
    private func versionsFeatures(_ group: FeatureGroup, versions: Set<Int>, request: RequestContext) async throws -> [Int: [FeatureDefinition]] {
        let older = versions.subtracting([group.latestVersion])
        var result = [group.latestVersion: group.features]
        guard !older.isEmpty else { return result }
        let rows = try await context.router.withTenantTransaction(request.tenantID) { connection in
            try await connection.query("SELECT version, features FROM feature_group_versions WHERE group_id = \(group.id) AND version = ANY(\(Array(older))::integer[])")
        }
        for row in rows { result[try row["version", as: Int.self]] = try row["features", as: PostgresJSON.self].decode([FeatureDefinition].self) }
        return result
    }
}
