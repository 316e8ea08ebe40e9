public import Foundation
import FalajCrypto
import PostgresClient
import Residency

/// An API key as lists show it (never its secret).
public struct APIKeySummary: Sendable, Equatable {
    /// Its id.
    public var id: UUID
    /// The creator's label.
    public var name: String
    /// The visible prefix: the key starts `falaj_<prefix>_`.
    public var prefix: String
    /// What it may do (a subset of its creator's permissions).
    public var permissions: [Permission]
    /// Creation time.
    public var createdAt: Date
    /// When it stops working, if ever.
    public var expiresAt: Date?
    /// When it was revoked.
    public var revokedAt: Date?
    /// When it last authenticated a request (updated at most once a minute).
    public var lastUsedAt: Date?
    /// Who created it.
    public var ownerEmail: String
}

/// A new key: its summary and the full secret, shown once.
public struct CreatedAPIKey: Sendable {
    /// The summary.
    public var summary: APIKeySummary
    /// `falaj_<prefix>_<secret>`; only its hash is stored.
    public var secret: String
}

/// API keys: created by a member with a subset of their permissions, shown once, stored as a hash, revocable.
public struct APIKeys: Sendable {
    let environment: TenancyEnvironment

    /// The longest lifetime a key may have.
    public static let maximumLifetimeDays = 730

    /// Creates a key for the signed-in member.
    /// - Parameters:
    ///   - permissions: names from ``Permission``; each must be one the member holds.
    ///   - expiresInDays: 1…730, or `nil` for a key that lasts until revoked.
    public func create(_ context: RequestContext, name rawName: String, permissions names: [String], expiresInDays: Int?) async throws -> CreatedAPIKey {
        try context.require(.keysManage)
        let user = try context.requireUser()
        guard case .user = context.actor else { throw TenancyError.forbidden("An API key cannot create API keys; sign in to the portal") }
        var errors: [String: String] = [:]
        var name = ""
        do { name = try DisplayName.validate(rawName, field: "name", maximum: 100) } catch { errors[error.field] = error.message }
        var permissions = Set<Permission>()
        do { permissions = try Permission.parse(names) } catch { errors["permissions"] = error.description }
        if errors["permissions"] == nil {
            if permissions.isEmpty { errors["permissions"] = "Choose at least one permission" }
            let extra = permissions.subtracting(context.permissions)
            if !extra.isEmpty {
                errors["permissions"] = "A key cannot have permissions you do not have: \(extra.sorted().map(\.rawValue).joined(separator: ", "))"
            }
        }
        if let days = expiresInDays, !(1...Self.maximumLifetimeDays).contains(days) {
            errors["expires_in_days"] = "Choose an expiry between 1 and \(Self.maximumLifetimeDays) days, or none"
        }
        guard errors.isEmpty else { throw TenancyError.invalidFields(errors) }

        let prefix = Self.makePrefix()
        let secretPart = SecureRandom.token(byteCount: 32)
        let id = UUID()
        let expires = expiresInDays.map { Date().addingTimeInterval(TimeInterval($0 * 86_400)) }
        try await environment.router.directory.withConnection { connection in
            try await connection.execute("INSERT INTO api_key_routes (prefix, tenant_id) VALUES (\(prefix), \(context.tenantID.rawValue))")
        }
        let created = try await environment.router.withTenantTransaction(context.tenantID) { connection in
            try await context.audit(
                "api_key.created", target: "api_key:\(id.uuidString.lowercased())",
                details: ["prefix": prefix, "permissions": permissions.sorted().map(\.rawValue).joined(separator: " ")], on: connection
            )
            return try await connection.query(
                """
                INSERT INTO api_keys (tenant_id, id, user_id, name, prefix, secret_hash, permissions, expires_at)
                VALUES (\(context.tenantID.rawValue), \(id), \(user), \(name), \(prefix), \(tokenHash(secretPart)),
                        \(permissions.sorted().map(\.rawValue)), \(expires))
                RETURNING created_at, (SELECT email FROM users WHERE id = \(user)) AS email
                """
            )[0]
        }
        let summary = APIKeySummary(
            id: id, name: name, prefix: prefix, permissions: permissions.sorted(), createdAt: try created["created_at", as: Date.self],
            expiresAt: expires, revokedAt: nil, lastUsedAt: nil, ownerEmail: try created["email", as: String.self]
        )
        return CreatedAPIKey(summary: summary, secret: "falaj_\(prefix)_\(secretPart)")
    }

    /// The member's own keys; with `members.manage`, every key of the tenant.
    public func list(_ context: RequestContext) async throws -> [APIKeySummary] {
        try context.require(.keysManage)
        let user = try context.requireUser()
        let everyone = context.allows(.membersManage)
        return try await environment.router.withTenantTransaction(context.tenantID) { connection in
            try await connection.query(
                """
                SELECT k.id, k.name, k.prefix, k.permissions, k.created_at, k.expires_at, k.revoked_at, k.last_used_at, u.email
                FROM api_keys k JOIN users u ON u.id = k.user_id
                WHERE \(everyone) OR k.user_id = \(user) ORDER BY k.created_at DESC
                """
            ).map { row in
                APIKeySummary(
                    id: try row["id", as: UUID.self],
                    name: try row["name", as: String.self],
                    prefix: try row["prefix", as: String.self],
                    permissions: try row["permissions", as: [String].self].compactMap(Permission.init(rawValue:)),
                    createdAt: try row["created_at", as: Date.self],
                    expiresAt: try row["expires_at", as: Date?.self],
                    revokedAt: try row["revoked_at", as: Date?.self],
                    lastUsedAt: try row["last_used_at", as: Date?.self],
                    ownerEmail: try row["email", as: String.self]
                )
            }
        }
    }

    /// Revokes a key at once. Members revoke their own keys; `members.manage` revokes anyone's.
    public func revoke(_ context: RequestContext, id: UUID) async throws {
        try context.require(.keysManage)
        let user = try context.requireUser()
        let everyone = context.allows(.membersManage)
        try await environment.router.withTenantTransaction(context.tenantID) { connection in
            guard try await connection.execute(
                "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = \(id) AND (\(everyone) OR user_id = \(user))"
            ) == 1 else { throw TenancyError.notFound("No API key with that id") }
            try await context.audit("api_key.revoked", target: "api_key:\(id.uuidString.lowercased())", on: connection)
        }
        environment.apiKeyCache.invalidate(tenant: context.tenantID.rawValue)  // other processes hear it from the trigger
    }

    /// Authenticates a bearer token. The key's permissions are intersected with its creator's current role, so a
    /// demotion shrinks every key at once. A warm key comes from ``APIKeyCache`` without a database round trip.
    /// - Returns: `nil` for anything that is not a live key (malformed, unknown, wrong secret, revoked, expired).
    /// - Throws: ``TenancyError/tenantUnavailable(_:)`` when the key's tenant is suspended.
    public func authenticate(_ bearer: String, requestID: String, clientAddress: String) async throws -> RequestContext? {
        let parts = bearer.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard bearer.utf8.count <= 100, parts.count == 3, parts[0] == "falaj", parts[1].utf8.count == 12 else { return nil }
        let prefix = String(parts[1])
        let secretHash = tokenHash(String(parts[2]))
        let cache = environment.apiKeyCache
        let key: APIKeyCache.Entry
        if let cached = cache.lookup(prefix: prefix) {
            key = cached
        } else {
            guard let loaded = try await load(prefix: prefix, secretHash: secretHash, clientAddress: clientAddress, requestID: requestID) else {
                return nil
            }
            key = loaded
        }
        guard ConstantTime.equals(key.secretHash, secretHash) else { return nil }
        return RequestContext(
            tenant: key.tenant, actor: .apiKey(id: key.keyID, user: key.userID), role: key.role, permissions: key.permissions,
            requestID: requestID, clientAddress: clientAddress
        )
    }

    /// Reads the live key with this prefix from the databases (and caches it); when the secret matches, records its
    /// use at most once a minute.
    private func load(prefix: String, secretHash: [UInt8], clientAddress: String, requestID: String) async throws -> APIKeyCache.Entry? {
        // The ticket is taken first, so a change committed while the key is read leaves nothing stale in the cache.
        let ticket = environment.apiKeyCache.ticket()
        // The key's tenant, found through its route, in one directory round trip.
        let route = try await environment.router.directory.withConnection { connection in
            try await connection.query(
                """
                SELECT t.id, t.slug, t.display_name, t.home_region, t.plan, t.status, t.created_at
                FROM api_key_routes r JOIN tenants t ON t.id = r.tenant_id WHERE r.prefix = \(prefix)
                """
            ).first
        }
        guard let route else { return nil }
        let tenant = try TenantDirectory.summary(route)
        guard tenant.isActive else { throw TenancyError.tenantUnavailable("\(tenant.displayName) is suspended; its API keys do not work") }
        // The live key with its member's role in one autocommit statement (cell migrations 0013 and 0014).
        let found = try await environment.router.cell(for: tenant.homeRegion).withConnection { connection in
            try await connection.query("SELECT * FROM api_key_lookup(\(tenant.id.rawValue), \(prefix))").first
        }
        guard let row = found else { return nil }
        let storedHash = try row["secret_hash", as: [UInt8].self]
        guard ConstantTime.equals(storedHash, secretHash) else { return nil }
        let id = try row["key_id", as: UUID.self]
        if try row["is_stale", as: Bool.self] {
            // Key use is recorded at most once a minute per key, together with last_used_at.
            try await environment.router.withTenantTransaction(tenant.id) { connection in
                try await connection.execute("UPDATE api_keys SET last_used_at = now() WHERE id = \(id)")
                try await AuditLog.record(
                    AuditEvent(actor: .apiKey(id), action: "api_key.used", target: "api_key:\(id.uuidString.lowercased())", sourceIP: clientAddress, requestID: requestID),
                    tenant: tenant.id,
                    on: connection
                )
            }
        }
        let role = Roles.role(
            try row["role", as: String.self], customName: try row["custom_role_name", as: String?.self],
            customPermissions: try row["custom_role_permissions", as: [String]?.self]
        )
        let granted = Set(try row["permissions", as: [String].self].compactMap(Permission.init(rawValue:)))
        let entry = APIKeyCache.Entry(
            loadedAt: .now, tenant: tenant, keyID: id, userID: try row["user_id", as: UUID.self], secretHash: storedHash, role: role, permissions: granted.intersection(role.permissions),
            expiresAt: try row["expires_at", as: Date?.self]
        )
        environment.apiKeyCache.store(prefix: prefix, entry, ticket: ticket)
        return entry
    }

    /// 12 lower-case letters and digits (about 62 bits), unique through the directory's primary key.
    static func makePrefix() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String(SecureRandom.bytes(count: 12).map { alphabet[Int($0) % alphabet.count] })
    }
}
