import FalajCrypto
import Foundation
import PostgresClient
public import Residency

/// The tenants table of the directory database: creation, status, lookups and the login-routing index.
public struct TenantDirectory: Sendable {
    let router: CellRouter

    /// A directory reached through the router's directory pool.
    public init(router: CellRouter) { self.router = router }


    static func summary(_ row: PostgresRow) throws -> TenantSummary {
        let (id, slug, name, region, plan, status, created) = try row.decode(
            UUID.self, String.self, String.self, String.self, String.self, String.self, Date.self
        )
        return TenantSummary(id: TenantID(id), slug: slug, displayName: name, homeRegion: region, plan: plan, status: status, createdAt: created)
    }

    /// The tenant with `id`, in any status.
    public func tenant(_ id: TenantID) async throws -> TenantSummary? {
        try await router.directory.withConnection { connection in
            try await connection.query("SELECT id, slug, display_name, home_region, plan, status, created_at FROM tenants WHERE id = \(id.rawValue)").first.map(Self.summary)
        }
    }

    /// The active tenants among `ids`, in the given order (unknown and inactive ones left out).
    public func activeTenants(_ ids: [TenantID]) async throws -> [TenantSummary] {
        guard !ids.isEmpty else { return [] }
        let rows = try await router.directory.withConnection { connection in
            try await connection.query(
                "SELECT id, slug, display_name, home_region, plan, status, created_at FROM tenants WHERE id = ANY(\(ids.map(\.rawValue))) AND status = 'active'"
            )
        }
        let found = Dictionary(uniqueKeysWithValues: try rows.map(Self.summary).map { ($0.id, $0) })
        return ids.compactMap { found[$0] }
    }

    /// Every tenant except those still provisioning, newest first.
    public func all() async throws -> [TenantSummary] {
        try await router.directory.withConnection { connection in
            try await connection.query(
                "SELECT id, slug, display_name, home_region, plan, status, created_at FROM tenants WHERE status <> 'provisioning' ORDER BY created_at DESC"
            ).map(Self.summary)
        }
    }

    /// Whether `slug` is taken by a tenant that is not a stale, abandoned sign-up.
    func isSlugTaken(_ slug: String) async throws -> Bool {
        try await router.directory.withConnection { connection in
            try await !connection.query(
                "SELECT 1 FROM tenants WHERE slug = \(slug) AND NOT (status = 'provisioning' AND created_at < now() - interval '10 minutes')"
            ).isEmpty
        }
    }

    /// The organisation's slug, or the slug with a short random suffix when it is taken.
    func availableSlug(for organisation: String) async throws -> String {
        let base = Slug.make(from: organisation)
        if try await !isSlugTaken(base) { return base }
        for _ in 0..<5 {
            let candidate = String(base.prefix(33)) + "-" + Hex.encode(SecureRandom.bytes(count: 3))
            if try await !isSlugTaken(candidate) { return candidate }
        }
        throw TenancyError.conflict("Could not find a free name for this organisation; try a slightly different name")
    }

    /// Inserts a `provisioning` tenant. A stale provisioning row holding the same slug (a sign-up that died half-way)
    /// is removed first, so it never blocks a retry.
    func insertProvisioning(id: TenantID, slug: String, displayName: String, region: String, plan: String) async throws {
        try await router.directory.withTransaction { connection in
            try await connection.execute(
                "DELETE FROM tenants WHERE slug = \(slug) AND status = 'provisioning' AND created_at < now() - interval '10 minutes'"
            )
            try await connection.execute(
                """
                INSERT INTO tenants (id, slug, display_name, home_region, plan, status)
                VALUES (\(id.rawValue), \(slug), \(displayName), \(region), \(plan), 'provisioning')
                """
            )
        }
    }

    /// Marks a provisioning tenant active and adds its owner's login route, in one directory transaction.
    func activate(_ id: TenantID, ownerEmailKey: [UInt8]?) async throws {
        try await router.directory.withTransaction { connection in
            try await connection.execute("UPDATE tenants SET status = 'active', status_changed_at = now() WHERE id = \(id.rawValue)")
            if let ownerEmailKey {
                try await connection.execute("INSERT INTO login_routes (email_hmac, tenant_id) VALUES (\(Data(ownerEmailKey)), \(id.rawValue))")
            }
        }
    }

    /// Removes a tenant that never finished provisioning.
    func removeProvisioning(_ id: TenantID) async throws {
        try await router.directory.withConnection { connection in
            try await connection.execute("DELETE FROM tenants WHERE id = \(id.rawValue) AND status = 'provisioning'")
        }
    }

    /// Changes a tenant's status (operator action). Returns false when no tenant has that id.
    func setStatus(_ id: TenantID, to status: String) async throws -> Bool {
        try await router.directory.withConnection { connection in
            try await connection.execute(
                "UPDATE tenants SET status = \(status), status_changed_at = now() WHERE id = \(id.rawValue) AND status <> 'provisioning'"
            ) == 1
        }
    }

    /// The tenants with a login route for an e-mail key.
    func tenants(forEmailKey key: [UInt8]) async throws -> [TenantID] {
        try await router.directory.withConnection { connection in
            try await connection.query("SELECT tenant_id FROM login_routes WHERE email_hmac = \(Data(key)) ORDER BY created_at")
                .map { TenantID(try $0["tenant_id", as: UUID.self]) }
        }
    }

    /// Adds a login route (a member joined a tenant).
    func addLoginRoute(emailKey: [UInt8], tenant: TenantID) async throws {
        try await router.directory.withConnection { connection in
            try await connection.execute(
                "INSERT INTO login_routes (email_hmac, tenant_id) VALUES (\(Data(emailKey)), \(tenant.rawValue)) ON CONFLICT DO NOTHING"
            )
        }
    }

    /// Removes a login route (a member left a tenant).
    func removeLoginRoute(emailKey: [UInt8], tenant: TenantID) async throws {
        try await router.directory.withConnection { connection in
            try await connection.execute("DELETE FROM login_routes WHERE email_hmac = \(Data(emailKey)) AND tenant_id = \(tenant.rawValue)")
        }
    }
}
