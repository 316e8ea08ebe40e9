public import PostgresClient

/// A category of data a tenant keeps for a limited time, with the table and age rule that the
/// ``RetentionService`` applies.
///
/// Categories whose table does not exist yet (`job_logs`, `prediction_payloads`, which later modules create) are
/// skipped until it does; their table must then have a `created_at timestamptz` column.
public struct RetentionCategory: Sendable, Equatable, Identifiable {
    /// The name stored in `retention_policies.category`, e.g. `sessions`.
    public var id: String
    /// What the rule keeps, in words for the records-of-processing page.
    public var summary: String
    /// Days kept when the tenant set no policy.
    public var defaultDays: Int
    /// The table whose rows expire.
    public var table: String
    /// A boolean SQL expression over the table's columns that uses `$1` (a `timestamptz` cut-off): true for rows old
    /// enough to delete. A constant in code, never user input.
    public var isExpired: String

    /// Expired sessions, 30 days after they expired.
    public static let sessions = RetentionCategory(
        id: "sessions", summary: "Sign-in sessions, after they expired", defaultDays: 30, table: "sessions", isExpired: "expires_at < $1"
    )
    /// Sent messages, 90 days after they were sent.
    public static let outbox = RetentionCategory(
        id: "outbox", summary: "Sent e-mail messages, after they were sent", defaultDays: 90, table: "outbox",
        isExpired: "sent_at IS NOT NULL AND sent_at < $1"
    )
    /// Accepted, revoked or expired invitations, 90 days after they finished.
    public static let invitations = RetentionCategory(
        id: "invitations", summary: "Invitations, after they were accepted, revoked or expired", defaultDays: 90, table: "invitations",
        isExpired: "COALESCE(accepted_at, revoked_at, expires_at) < $1"
    )
    /// Training and serving logs (tables created by later modules).
    public static let jobLogs = RetentionCategory(
        id: "job_logs", summary: "Job and replica logs", defaultDays: 30, table: "job_logs", isExpired: "created_at < $1"
    )
    /// Stored prediction requests and responses (tables created by later modules).
    public static let predictionPayloads = RetentionCategory(
        id: "prediction_payloads", summary: "Logged prediction inputs and outputs", defaultDays: 90, table: "prediction_payloads",
        isExpired: "created_at < $1"
    )

    /// Every category, in display order.
    public static let all: [RetentionCategory] = [.sessions, .outbox, .invitations, .jobLogs, .predictionPayloads]

    /// The category named `id`, if any.
    public static func named(_ id: String) -> RetentionCategory? { all.first { $0.id == id } }
}

/// A tenant's retention setting for one category.
public struct RetentionPolicy: Sendable, Equatable {
    /// The category.
    public var category: RetentionCategory
    /// Days kept.
    public var days: Int
    /// Whether the tenant set it (false: the default applies).
    public var isCustom: Bool

    /// Creates a policy.
    public init(category: RetentionCategory, days: Int, isCustom: Bool) {
        self.category = category
        self.days = days
        self.isCustom = isCustom
    }
}

/// Reads and writes `retention_policies` (migration `cell/0005`) on a tenant transaction's connection.
public enum RetentionPolicies {
    /// The allowed range of days.
    public static let dayRange = 1...3650

    /// Every category's effective policy for the tenant set on `connection`, in ``RetentionCategory/all`` order.
    public nonisolated(nonsending) static func effective(on connection: PostgresConnection) async throws -> [RetentionPolicy] {
        let rows = try await connection.query("SELECT category, days FROM retention_policies")
        var custom: [String: Int] = [:]
        for row in rows { custom[try row["category", as: String.self]] = try row["days", as: Int.self] }
        return RetentionCategory.all.map { category in
            RetentionPolicy(category: category, days: custom[category.id] ?? category.defaultDays, isCustom: custom[category.id] != nil)
        }
    }

    /// Sets the tenant's policy for `category` to `days` (validated against ``dayRange`` by the caller).
    public nonisolated(nonsending) static func set(_ category: RetentionCategory, days: Int, tenant: TenantID, on connection: PostgresConnection) async throws {
        try await connection.execute(
            """
            INSERT INTO retention_policies (tenant_id, category, days) VALUES (\(tenant.rawValue), \(category.id), \(days))
            ON CONFLICT (tenant_id, category) DO UPDATE SET days = EXCLUDED.days, updated_at = now()
            """
        )
    }
}
