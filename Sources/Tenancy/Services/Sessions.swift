import Foundation
import PostgresClient
import Residency

/// Session rows in a cell. Callers are inside a tenant transaction (`app.tenant_id` set).
enum Sessions {
    /// Inserts a session for `user` with the tenant's absolute lifetime; the token's hash is all that is stored.
    nonisolated(nonsending) static func insert(
        token: TenantToken,
        user: UUID,
        isMFAVerified: Bool,
        clientAddress: String,
        userAgent: String,
        on connection: PostgresConnection
    ) async throws {
        try await connection.execute(
            """
            INSERT INTO sessions (tenant_id, id, token_hash, user_id, is_mfa_verified, expires_at, client_address, user_agent)
            SELECT \(token.tenant.rawValue), \(UUID()), \(token.hash), \(user), \(isMFAVerified),
                   now() + make_interval(hours => coalesce(s.session_absolute_hours, 168)), \(clientAddress), \(String(userAgent.prefix(300)))
            FROM (SELECT 1) AS one LEFT JOIN tenant_settings s ON s.tenant_id = \(token.tenant.rawValue)
            """
        )
    }

    /// Deletes every session of `user` in the current tenant (privilege change, removal, logout everywhere).
    nonisolated(nonsending) static func deleteAll(user: UUID, on connection: PostgresConnection) async throws {
        try await connection.execute("DELETE FROM sessions WHERE user_id = \(user)")
    }
}

/// Failed sign-in bookkeeping in the directory: increasing delays per account and per client address, then a lock-out.
///
/// Keys are HMACs, so the directory learns neither addresses nor e-mails. Counting happens whether or not the account
/// exists, so the throttle never reveals existence.
struct LoginThrottle: Sendable {
    let environment: TenancyEnvironment

    /// Failures before an account is locked for ``lockSeconds``.
    static let lockThreshold = 10
    /// How long a lock-out lasts.
    static let lockSeconds = 900

    /// Seconds to wait after `failures` failed attempts on an account: none for the first three, then 1, 2, 4, … s.
    static func accountDelay(failures: Int) -> Int {
        if failures >= lockThreshold { return lockSeconds }
        return failures < 3 ? 0 : min(1 << (failures - 3), lockSeconds)
    }

    /// Seconds to wait after `failures` from one address: generous (shared offices), then increasing.
    static func addressDelay(failures: Int) -> Int { failures < 20 ? 0 : min(1 << min(failures - 20, 10), lockSeconds) }

    /// Throws ``TenancyError/throttled(_:retryAfterSeconds:)`` when either key must still wait.
    func check(emailKey: [UInt8], address: String) async throws {
        let keys = [emailKey, environment.secrets.addressKey(address)]
        let rows = try await environment.router.directory.withConnection { connection in
            try await connection.query(
                """
                SELECT key, failures, ceil(extract(epoch FROM blocked_until - now()))::bigint AS wait
                FROM login_throttle WHERE key IN (\(keys[0]), \(keys[1])) AND blocked_until > now()
                """
            )
        }
        guard !rows.isEmpty else { return }
        var wait = 1
        var isLocked = false
        for row in rows {
            wait = max(wait, Int(try row["wait", as: Int64.self]))
            if try row["key", as: [UInt8].self] == emailKey, try row["failures", as: Int.self] >= Self.lockThreshold { isLocked = true }
        }
        if isLocked {
            throw TenancyError.throttled(
                "Sign-in for this account is locked after repeated failed attempts. Try again in \((wait + 59) / 60) minutes.",
                retryAfterSeconds: wait
            )
        }
        throw TenancyError.throttled("Too many sign-in attempts. Wait \(wait) seconds and try again.", retryAfterSeconds: wait)
    }

    /// Records a failure for the account and the address; returns the account's failure count.
    @discardableResult
    func recordFailure(emailKey: [UInt8], address: String) async throws -> Int {
        let addressKey = environment.secrets.addressKey(address)
        return try await environment.router.directory.withTransaction { connection in
            var accountFailures = 0
            for (key, isAccount) in [(emailKey, true), (addressKey, false)] {
                let rows = try await connection.query(
                    """
                    INSERT INTO login_throttle AS t (key, failures, last_failure_at) VALUES (\(Data(key)), 1, now())
                    ON CONFLICT (key) DO UPDATE SET
                        failures = CASE WHEN t.last_failure_at < now() - interval '1 day' THEN 1 ELSE t.failures + 1 END,
                        last_failure_at = now()
                    RETURNING failures
                    """
                )
                let failures = try rows[0]["failures", as: Int.self]
                let delay = isAccount ? Self.accountDelay(failures: failures) : Self.addressDelay(failures: failures)
                try await connection.execute(
                    "UPDATE login_throttle SET blocked_until = now() + make_interval(secs => \(Double(delay))) WHERE key = \(Data(key))"
                )
                if isAccount { accountFailures = failures }
            }
            return accountFailures
        }
    }

    /// Forgets an account's failures after a successful sign-in.
    func reset(emailKey: [UInt8]) async throws {
        try await environment.router.directory.withConnection { connection in
            try await connection.execute("DELETE FROM login_throttle WHERE key = \(Data(emailKey))")
        }
    }
}
