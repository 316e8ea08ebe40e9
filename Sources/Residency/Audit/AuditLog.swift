public import Foundation
import FalajCrypto
public import PostgresClient

/// The hash-chained, append-only audit trail in each cell (`audit_events`, migration `cell/0003`).
///
/// Write with ``record(_:tenant:on:)`` inside the same transaction as the change it records (so both commit or
/// neither does). The chain fields are set by a database trigger that serialises appends per tenant.
public enum AuditLog {
    /// Appends one event for `tenant` on `connection`, which must be in a transaction with `app.tenant_id` set to it.
    /// - Returns: the event's sequence number.
    @discardableResult
    public nonisolated(nonsending) static func record(_ event: AuditEvent, tenant: TenantID, on connection: PostgresConnection) async throws -> Int64 {
        let details = try String(decoding: JSONEncoder.sorted.encode(event.details), as: UTF8.self)
        let rows = try await connection.query(
            """
            INSERT INTO audit_events (tenant_id, sequence, actor_kind, actor_id, action, target, outcome, source_ip, request_id, region,
                                      details, prev_hash, hash)
            SELECT \(tenant.rawValue), 1, \(event.actor.kind), \(event.actor.id), \(event.action), \(event.target.map { String($0.prefix(300)) }),
                   \(event.outcome), \(event.sourceIP.map { String($0.prefix(100)) }), \(event.requestID.map { String($0.prefix(100)) }),
                   (SELECT region_id FROM cell_identity), \(details)::jsonb, '\\x'::bytea, '\\x'::bytea
            RETURNING sequence
            """
        )
        return try rows[0]["sequence", as: Int64.self]
    }

    /// Events of the tenant set on `connection`, newest first, filtered.
    public nonisolated(nonsending) static func events(_ filter: AuditFilter, on connection: PostgresConnection) async throws -> [AuditRecord] {
        try await connection.query(
            """
            SELECT sequence, occurred_at, actor_kind, actor_id, action, target, outcome, source_ip, request_id, region, details::text AS details, hash
            FROM audit_events
            WHERE (\(filter.actorID)::text IS NULL OR actor_id = \(filter.actorID))
              AND (\(filter.actionPrefix)::text IS NULL OR action LIKE \(filter.actionPrefix.map { Self.likePrefix($0) }))
              AND (\(filter.since)::timestamptz IS NULL OR occurred_at >= \(filter.since))
              AND (\(filter.until)::timestamptz IS NULL OR occurred_at < \(filter.until))
              AND (\(filter.beforeSequence)::bigint IS NULL OR sequence < \(filter.beforeSequence))
            ORDER BY sequence DESC LIMIT \(filter.limit)
            """
        ).map(Self.record)
    }

    static func likePrefix(_ prefix: String) -> String {
        prefix.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
    }

    static func record(_ row: PostgresRow) throws -> AuditRecord {
        let details = try JSONDecoder().decode([String: String].self, from: Data(try row["details", as: String.self].utf8))
        return AuditRecord(
            sequence: try row["sequence", as: Int64.self],
            occurredAt: try row["occurred_at", as: Date.self],
            actor: AuditActor(kind: try row["actor_kind", as: String.self], id: try row["actor_id", as: String?.self]),
            action: try row["action", as: String.self],
            target: try row["target", as: String?.self],
            outcome: try row["outcome", as: String.self],
            sourceIP: try row["source_ip", as: String?.self],
            requestID: try row["request_id", as: String?.self],
            region: try row["region", as: String.self],
            details: details,
            hash: Hex.encode(try row["hash", as: [UInt8].self])
        )
    }

    /// Recomputes the chain of the tenant set on `connection`, oldest first, in pages.
    /// - Returns: the number of events checked and the first broken link, if any.
    public nonisolated(nonsending) static func verify(on connection: PostgresConnection, pageSize: Int = 5_000) async throws -> AuditVerification {
        var previous = [UInt8](repeating: 0, count: 32)
        var expected: Int64 = 1
        var checked = 0
        while true {
            let rows = try await connection.query(
                """
                SELECT sequence, prev_hash, hash, sha256(prev_hash || convert_to(audit_canonical(e), 'UTF8')) AS recomputed
                FROM audit_events e WHERE sequence >= \(expected) ORDER BY sequence LIMIT \(pageSize)
                """
            )
            for row in rows {
                let sequence = try row["sequence", as: Int64.self]
                guard sequence == expected else {
                    return AuditVerification(checked: checked, brokenAt: expected, reason: "event \(expected) is missing (next is \(sequence))")
                }
                guard try row["prev_hash", as: [UInt8].self] == previous else {
                    return AuditVerification(checked: checked, brokenAt: sequence, reason: "event \(sequence) does not link to event \(sequence - 1)")
                }
                let hash = try row["hash", as: [UInt8].self]
                guard try row["recomputed", as: [UInt8].self] == hash else {
                    return AuditVerification(checked: checked, brokenAt: sequence, reason: "event \(sequence) was changed after it was written")
                }
                previous = hash
                expected += 1
                checked += 1
            }
            if rows.count < pageSize { break }
        }
        let head = try await connection.query("SELECT sequence FROM audit_chain_heads").first
        if let head, try head["sequence", as: Int64.self] != expected - 1 {
            let last = try head["sequence", as: Int64.self]
            return AuditVerification(checked: checked, brokenAt: expected, reason: "the chain ends at event \(expected - 1) but \(last) were written")
        }
        return AuditVerification(checked: checked, brokenAt: nil, reason: nil)
    }
}

/// Which events to list.
public struct AuditFilter: Sendable {
    /// Only this actor id.
    public var actorID: String?
    /// Only actions starting with this, e.g. `member.`.
    public var actionPrefix: String?
    /// From this time on.
    public var since: Date?
    /// Before this time.
    public var until: Date?
    /// Only events older than this sequence (paging).
    public var beforeSequence: Int64?
    /// At most this many (1…10000, default 100).
    public var limit: Int

    /// Creates a filter.
    public init(actorID: String? = nil, actionPrefix: String? = nil, since: Date? = nil, until: Date? = nil, beforeSequence: Int64? = nil, limit: Int = 100) {
        self.actorID = actorID
        self.actionPrefix = actionPrefix
        self.since = since
        self.until = until
        self.beforeSequence = beforeSequence
        self.limit = max(1, min(limit, 10_000))
    }
}

/// The result of recomputing a chain.
public struct AuditVerification: Sendable, Equatable {
    /// Events whose link and hash matched.
    public var checked: Int
    /// The first sequence that failed, or nil when the chain is intact.
    public var brokenAt: Int64?
    /// Why it failed.
    public var reason: String?

    /// Whether the whole chain matched.
    public var isIntact: Bool { brokenAt == nil }
}

extension JSONEncoder {
    /// Sorted keys: the same details always encode the same way.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
