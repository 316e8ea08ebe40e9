public import Foundation
import PostgresClient
import Residency
public import Tabular
public import Tenancy

/// The statistics of one feature group version: every value written under it to the offline store, per feature
/// (count, missing, mean, std, min/max, quantiles, frequent values, histogram). They are the reference distribution
/// for drift detection. Made when a dataset is ingested and on request; a push marks them stale instead of
/// recomputing them on every write.
public struct FeatureVersionStatistics: Sendable, Equatable {
    /// The version.
    public var version: Int
    /// Per-feature statistics, in feature order.
    public var summary: TableStatisticsSummary
    /// When they were made.
    public var computedAt: Date
    /// True when rows were pushed after they were made.
    public var isStale: Bool
}

extension FeatureStore {
    /// Rows read per query while computing statistics.
    static let statisticsBatchRows = 10_000

    /// Recomputes the statistics of every version of a group that has none or stale ones (all versions when `all`).
    /// - Returns: the statistics of each recomputed version, newest first.
    /// - Throws: ``PlatformError/notFound(_:)``.
    public func refreshStatistics(group name: String, project slug: String, all: Bool = false, context request: RequestContext) async throws
        -> [FeatureVersionStatistics]
    {
        try request.requirePlatform(.dataWrite)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            let group = try await FeatureGroups.find(name, project: try await Projects.find(slug, for: request, on: connection).id, on: connection)
            let versions = try await connection.query(
                """
                SELECT version, features FROM feature_group_versions
                WHERE group_id = \(group.id) AND (\(all) OR statistics IS NULL OR statistics_stale)
                ORDER BY version DESC
                """
            )
            var refreshed: [FeatureVersionStatistics] = []
            for row in versions {
                let features = try row["features", as: PostgresJSON.self].decode([FeatureDefinition].self)
                refreshed.append(try await Self.computeStatistics(group: group.id, version: try row["version", as: Int.self], features: features, on: connection))
            }
            return refreshed
        }
    }

    /// The stored statistics of each version of a group that has them, newest first.
    public func statistics(group name: String, project slug: String, context request: RequestContext) async throws -> [FeatureVersionStatistics] {
        try request.requirePlatform(.dataRead)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            let group = try await FeatureGroups.find(name, project: try await Projects.find(slug, for: request, on: connection).id, on: connection)
            return try await connection.query(
                """
                SELECT version, statistics, statistics_at, statistics_stale FROM feature_group_versions
                WHERE group_id = \(group.id) AND statistics IS NOT NULL ORDER BY version DESC
                """
            ).map { row in
                FeatureVersionStatistics(
                    version: try row["version", as: Int.self], summary: try row["statistics", as: PostgresJSON.self].decode(TableStatisticsSummary.self),
                    computedAt: try row["statistics_at", as: Date.self], isStale: try row["statistics_stale", as: Bool.self]
                )
            }
        }
    }

    /// Reads every offline row of one version in write order, in batches, and stores the statistics of its values.
    /// Runs in the caller's transaction, so it sees that transaction's own writes.
    nonisolated(nonsending) static func computeStatistics(
        group: UUID, version: Int, features: [FeatureDefinition], on connection: PostgresConnection
    ) async throws -> FeatureVersionStatistics {
        var statistics = TableStatistics(columns: features.map { Column(name: $0.name, type: $0.type) })
        var after: Int64 = 0
        while true {
            let rows = try await connection.query(
                """
                SELECT seq, feature_values::text AS feature_values FROM feature_rows
                WHERE group_id = \(group) AND version = \(version) AND seq > \(after)
                ORDER BY seq LIMIT \(statisticsBatchRows)
                """
            )
            for row in rows {
                let values = FeatureValuesJSON.values(try row["feature_values", as: String.self], features: features) ?? [:]
                statistics.add(row: features.map { values[$0.name] ?? .null })
            }
            guard let last = rows.last, rows.count == statisticsBatchRows else { break }
            after = try last["seq", as: Int64.self]
        }
        let summary = statistics.summary()
        let computedAt = try await connection.query(
            """
            UPDATE feature_group_versions SET statistics = \(try PostgresJSON(encoding: summary)), statistics_at = now(), statistics_stale = false
            WHERE group_id = \(group) AND version = \(version) RETURNING statistics_at
            """
        )[0]["statistics_at", as: Date.self]
        return FeatureVersionStatistics(version: version, summary: summary, computedAt: computedAt, isStale: false)
    }
}
