import FalajCrypto
import Residency
public import Foundation
import PostgresClient
public import Tabular
public import Tenancy

/// What a push wrote.
public struct PushReceipt: Sendable, Equatable {
    /// The feature group version the rows were written under (the latest).
    public var version: Int
    /// Rows written to the offline store.
    public var rowCount: Int
    /// Entities whose online value changed (a row older than the stored one leaves it as it is).
    public var onlineUpdates: Int
    /// True when this answers a repeat of an earlier push with the same idempotency key; nothing was written again.
    public var isReplay: Bool
}

extension FeatureStore {
    /// The most rows one push may carry.
    public static let maximumPushRows = 10_000

    /// Writes rows to a feature group: each row has the entity's join key, the event-time column and some of the
    /// latest version's features (missing ones are null; unknown keys are refused). The offline store gets every
    /// row, the online store each entity's newest one (unless it already holds a newer one), in one transaction:
    /// both or neither. With an idempotency key, a repeat of the same push is answered without writing again, and a
    /// different push under the same key is refused.
    /// - Throws: ``PlatformError/invalidFields(_:)`` naming each bad field as `rows[i].name`;
    ///   ``PlatformError/conflict(_:)`` for a reused idempotency key; ``PlatformError/notFound(_:)``.
    public func push(_ rows: [[String: JSONScalar]], to groupID: UUID, idempotencyKey: String?, context request: RequestContext) async throws
        -> PushReceipt
    {
        try request.requirePlatform(.dataWrite)
        let receipt = try await context.router.withTenantTransaction(request.tenantID) { connection in
            let group = try await FeatureGroups.find(id: groupID, for: request, on: connection)
            guard (1...Self.maximumPushRows).contains(rows.count) else {
                throw PlatformError.invalid(field: "rows", "Send 1–\(Self.maximumPushRows) rows per push")
            }
            if let key = idempotencyKey, !(1...200).contains(key.count) {
                throw PlatformError.invalid(field: "idempotency_key", "Use an Idempotency-Key of 1–200 characters")
            }
            if let key = idempotencyKey {
                let digest = Self.digest(rows)
                let claimed = try await connection.query(
                    """
                    INSERT INTO feature_push_requests (tenant_id, group_id, idempotency_key, request_sha256, row_count)
                    VALUES (\(request.tenantID.rawValue), \(group.id), \(key), \(digest), \(rows.count))
                    ON CONFLICT DO NOTHING RETURNING 1
                    """
                )
                if claimed.isEmpty {
                    let earlier = try await connection.query(
                        "SELECT request_sha256, row_count FROM feature_push_requests WHERE group_id = \(group.id) AND idempotency_key = \(key)"
                    )[0]
                    guard try earlier["request_sha256", as: String.self] == digest else {
                        throw PlatformError.conflict("The Idempotency-Key '\(String(key.prefix(60)))' was used for a different push; use a new key")
                    }
                    return PushReceipt(version: group.latestVersion, rowCount: try earlier["row_count", as: Int.self], onlineUpdates: 0, isReplay: true)
                }
            }
            let converted = try Self.convert(rows, group: group)
            try await connection.execute(
                """
                INSERT INTO feature_rows (tenant_id, group_id, version, entity_key, event_time, feature_values, source)
                SELECT \(request.tenantID.rawValue), \(group.id), \(group.latestVersion), r.entity_key, r.event_time::timestamptz, r.feature_values::jsonb, 'push'
                FROM unnest(\(converted.map(\.entityKey))::text[], \(converted.map(\.eventTime))::text[], \(converted.map(\.values))::text[])
                    AS r(entity_key, event_time, feature_values)
                """
            )
            let updated = try await connection.execute(
                """
                INSERT INTO online_features (tenant_id, group_id, entity_key, version, event_time, feature_values)
                SELECT DISTINCT ON (r.entity_key) \(request.tenantID.rawValue), \(group.id), r.entity_key, \(group.latestVersion),
                       r.event_time::timestamptz, r.feature_values::jsonb
                FROM unnest(\(converted.map(\.entityKey))::text[], \(converted.map(\.eventTime))::text[], \(converted.map(\.values))::text[])
                    WITH ORDINALITY AS r(entity_key, event_time, feature_values, position)
                ORDER BY r.entity_key, r.event_time::timestamptz DESC, r.position DESC
                ON CONFLICT (tenant_id, group_id, entity_key) DO UPDATE
                    SET version = EXCLUDED.version, event_time = EXCLUDED.event_time, feature_values = EXCLUDED.feature_values, updated_at = now()
                    WHERE online_features.event_time <= EXCLUDED.event_time
                """
            )
            try await connection.execute(
                """
                UPDATE feature_group_versions SET statistics_stale = true
                WHERE group_id = \(group.id) AND version = \(group.latestVersion) AND statistics IS NOT NULL AND NOT statistics_stale
                """
            )
            try await connection.execute("SELECT pg_notify(\(Self.channel), \(group.id.uuidString.lowercased()))")
            return PushReceipt(version: group.latestVersion, rowCount: converted.count, onlineUpdates: updated, isReplay: false)
        }
        if !receipt.isReplay { cache.invalidate(group: groupID) }
        return receipt
    }

    /// One validated row, as the SQL binds it.
    struct ConvertedRow {
        var entityKey: String
        var eventTime: String
        var values: String
    }

    /// Checks and converts every row against the group's latest schema; all field errors at once.
    static func convert(_ rows: [[String: JSONScalar]], group: FeatureGroup) throws(PlatformError) -> [ConvertedRow] {
        let names = group.features.map(\.name)
        let known = Set(names + [group.entity.joinKey, group.eventTimeColumn])
        var errors: [String: String] = [:]
        var converted: [ConvertedRow] = []
        converted.reserveCapacity(rows.count)
        for (index, row) in rows.enumerated() {
            let at = "rows[\(index)]"
            if let unknown = row.keys.sorted().first(where: { !known.contains($0) }) {
                errors["\(at).\(unknown)"] = "'\(String(unknown.prefix(63)))' is not a feature of \(group.name) version \(group.latestVersion)"
                continue
            }
            guard let key = entityKey(row[group.entity.joinKey], type: group.entity.keyType) else {
                errors["\(at).\(group.entity.joinKey)"] = "Give the entity's key (\(group.entity.keyType == .int ? "an integer" : "a non-empty string of at most 500 characters"))"
                continue
            }
            guard case .timestamp(let micros)? = try? ValueParser.parse(row[group.eventTimeColumn] ?? .null, as: .timestamp) else {
                errors["\(at).\(group.eventTimeColumn)"] = "Give the event time as an RFC 3339 timestamp such as 2026-01-31T12:00:00Z"
                continue
            }
            var values: [TabularValue] = []
            for feature in group.features {
                do {
                    values.append(try ValueParser.parse(row[feature.name] ?? .null, as: feature.type))
                } catch {
                    errors["\(at).\(feature.name)"] = error.reason
                }
            }
            if errors.count > 100 { break }
            converted.append(ConvertedRow(entityKey: key, eventTime: TimestampText.format(microseconds: micros), values: FeatureValuesJSON.object(names: names, values: values)))
        }
        guard errors.isEmpty else { throw .invalidFields(errors) }
        return converted
    }

    /// The canonical text of an entity key, or nil when it is missing or of the wrong kind.
    static func entityKey(_ scalar: JSONScalar?, type: EntityKeyType) -> String? {
        switch (scalar, type) {
        case (.string(let text)?, .string): return text.isEmpty || text.count > 500 ? nil : text
        case (let scalar?, .int):
            guard case .int(let number)? = try? ValueParser.parse(scalar, as: .int) else { return nil }
            return String(number)
        default: return nil
        }
    }

    /// A stable SHA-256 of a push's rows (keys sorted), to recognise a repeat.
    static func digest(_ rows: [[String: JSONScalar]]) -> String {
        var text = ""
        for row in rows {
            text += "{"
            for key in row.keys.sorted() {
                FeatureValuesJSON.appendString(key, to: &text)
                switch row[key]! {
                case .null: text += ":n,"
                case .bool(let flag): text += flag ? ":t," : ":f,"
                case .number(let number): text += ":#" + number + ","
                case .string(let string):
                    text += ":"
                    FeatureValuesJSON.appendString(string, to: &text)
                    text += ","
                }
            }
            text += "}"
        }
        return SHA256.hexString(Array(text.utf8))
    }
}
