import Foundation
import PostgresClient
import Residency
public import Tenancy

/// What a materialisation did.
public struct MaterializationReceipt: Sendable, Equatable {
    /// Offline rows it considered (written since the last materialisation, or all of them for a full one).
    public var rowsRead: Int
    /// Entities whose online value it changed (an online value with a newer event time is kept).
    public var onlineUpdates: Int
    /// True when it reloaded from every offline row, not only the new ones.
    public var isFull: Bool
}

extension FeatureStore {
    /// Loads the latest offline values of a group into the online store: incrementally (the rows written since the
    /// last materialisation) or in full (every row, e.g. after the online store was cleared). Pushed rows are in the
    /// online store already; dataset ingestion writes only the offline store and materialises unless told not to.
    /// Audited as `feature_group.materialized`; every control-plane process drops its cached rows of the group.
    /// - Throws: ``PlatformError/notFound(_:)``.
    public func materialize(group name: String, project slug: String, full: Bool = false, context request: RequestContext) async throws
        -> MaterializationReceipt
    {
        try request.requirePlatform(.dataWrite)
        let (groupID, receipt) = try await context.router.withTenantTransaction(request.tenantID) { connection in
            let group = try await FeatureGroups.find(name, project: try await Projects.find(slug, for: request, on: connection).id, on: connection)
            let receipt = try await Self.materialize(group: group.id, full: full, tenant: request.tenantID, on: connection)
            try await FeatureGroups.audit(
                "feature_group.materialized", group: group.id,
                details: ["full": String(full), "rows_read": String(receipt.rowsRead), "online_updates": String(receipt.onlineUpdates)],
                request: request, on: connection
            )
            return (group.id, receipt)
        }
        cache.invalidate(group: groupID)
        return receipt
    }

    /// Materialises in the caller's transaction: locks the group (so a concurrent dataset ingestion cannot commit
    /// rows below the new watermark unseen), upserts each entity's newest row of the range, moves the watermark and
    /// notifies the other processes. The caller invalidates this process's cache after commit.
    nonisolated(nonsending) static func materialize(group: UUID, full: Bool, tenant: TenantID, on connection: PostgresConnection) async throws
        -> MaterializationReceipt
    {
        let watermark = try await connection.query("SELECT materialized_seq FROM feature_groups WHERE id = \(group) FOR UPDATE")[0]["materialized_seq", as: Int64.self]
        let from = full ? 0 : watermark
        let through = try await connection.query(
            "SELECT coalesce(max(seq), \(from)) AS through FROM feature_rows WHERE group_id = \(group)"
        )[0]["through", as: Int64.self]
        guard through > from else { return MaterializationReceipt(rowsRead: 0, onlineUpdates: 0, isFull: full) }
        let rowsRead = try await connection.query(
            "SELECT count(*)::bigint AS rows FROM feature_rows WHERE group_id = \(group) AND seq > \(from) AND seq <= \(through)"
        )[0]["rows", as: Int.self]
        let updated = try await connection.execute(
            """
            INSERT INTO online_features (tenant_id, group_id, entity_key, version, event_time, feature_values)
            SELECT DISTINCT ON (entity_key) \(tenant.rawValue), \(group), entity_key, version, event_time, feature_values
            FROM feature_rows
            WHERE group_id = \(group) AND seq > \(from) AND seq <= \(through)
            ORDER BY entity_key, event_time DESC, seq DESC
            ON CONFLICT (tenant_id, group_id, entity_key) DO UPDATE
                SET version = EXCLUDED.version, event_time = EXCLUDED.event_time, feature_values = EXCLUDED.feature_values, updated_at = now()
                WHERE online_features.event_time <= EXCLUDED.event_time
                  AND (online_features.event_time, online_features.feature_values) IS DISTINCT FROM (EXCLUDED.event_time, EXCLUDED.feature_values)
            """
        )
        try await connection.execute(
            "UPDATE feature_groups SET materialized_seq = greatest(materialized_seq, \(through)), materialized_at = now() WHERE id = \(group)"
        )
        try await connection.execute("SELECT pg_notify(\(Self.channel), \(group.uuidString.lowercased()))")
        return MaterializationReceipt(rowsRead: rowsRead, onlineUpdates: updated, isFull: full)
    }
}
