import FalajCrypto
public import Foundation
import PostgresClient

/// What the portal may know about a data key: ids and dates, never key material.
public struct TenantDataKey: Sendable, Equatable {
    /// The key's id, written into the header of every object it encrypts.
    public var id: UUID
    /// The key-encryption key that wraps it now.
    public var kekID: String
    /// When it was created.
    public var createdAt: Date
    /// When a newer key replaced it for new objects (it still decrypts older ones).
    public var retiredAt: Date?
    /// When it was crypto-shredded.
    public var destroyedAt: Date?

    /// True while it encrypts new objects.
    public var isCurrent: Bool { retiredAt == nil && destroyedAt == nil }
}

/// An unwrapped data key, alive only for the length of one blob operation.
struct DataKey: Sendable, CustomStringConvertible {
    let id: UUID
    let material: [UInt8]

    /// The id only: key material never reaches logs.
    var description: String { "DataKey(\(id))" }
}

/// Each tenant's data-encryption keys (table `tenant_data_keys`, migration `cell/0004`), wrapped by its region's KEK.
///
/// A tenant gets a key on first use; ``rotate(_:actor:requestID:sourceIP:)`` makes a new one for new objects while
/// old ones keep decrypting; ``rewrapAll(region:actor:)`` moves every key of a cell onto the keyring's current KEK
/// without touching blobs; ``shred(_:actor:requestID:sourceIP:)`` destroys them all, erasing every blob for good.
/// Rotation, re-wrapping and shredding append an audit event in the same transaction.
public final class TenantKeys: Sendable {
    let router: CellRouter
    let keyrings: [String: RegionKeyring]

    /// A service over `router`'s cells, with one keyring per region id.
    public init(router: CellRouter, keyrings: [RegionKeyring]) {
        self.router = router
        self.keyrings = Dictionary(keyrings.map { ($0.region, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// The tenant's keys, newest first.
    public func keys(of tenant: TenantID) async throws -> [TenantDataKey] {
        try await router.withTenantTransaction(tenant) { connection in
            try await connection.query(
                "SELECT key_id, kek_id, created_at, retired_at, destroyed_at FROM tenant_data_keys ORDER BY created_at DESC, key_id"
            ).map { row in
                TenantDataKey(
                    id: try row["key_id", as: UUID.self],
                    kekID: try row["kek_id", as: String.self],
                    createdAt: try row["created_at", as: Date.self],
                    retiredAt: try row["retired_at", as: Date?.self],
                    destroyedAt: try row["destroyed_at", as: Date?.self]
                )
            }
        }
    }

    /// When the tenant's keys were shredded, or nil while its data is readable.
    public func erasureDate(of tenant: TenantID) async throws -> Date? {
        try await router.withTenantTransaction(tenant) { try await Self.erasureDate(on: $0) }
    }

    /// The key new objects are encrypted with, created (and audited as `keys.created`) on first use.
    /// - Throws: ``BlobStoreError/erased(_:)`` once the tenant's keys were shredded.
    func currentKey(for tenant: TenantID) async throws -> DataKey {
        let keyring = try await self.keyring(for: tenant)
        return try await router.withTenantTransaction(tenant) { connection in
            if let erased = try await Self.erasureDate(on: connection) { throw BlobStoreError.erased(Self.erasedMessage(erased)) }
            if let row = try await Self.currentRow(on: connection) { return try Self.unwrap(row, tenant: tenant, keyring: keyring) }
            let id = UUID()
            let material = SecureRandom.bytes(count: AES256GCM.keyByteCount)
            let wrapped = try Self.wrap(material, id: id, tenant: tenant, kek: keyring.current)
            let inserted = try await connection.execute(
                """
                INSERT INTO tenant_data_keys (tenant_id, key_id, wrapped_key, kek_id) VALUES (\(tenant.rawValue), \(id), \(wrapped), \(keyring.current.id))
                ON CONFLICT (tenant_id) WHERE retired_at IS NULL AND destroyed_at IS NULL DO NOTHING
                """
            )
            guard inserted == 1 else {
                guard let row = try await Self.currentRow(on: connection) else { throw BlobStoreError.backend("No current data key after a concurrent insert") }
                return try Self.unwrap(row, tenant: tenant, keyring: keyring)
            }
            let event = AuditEvent(actor: .system, action: "keys.created", target: "data_key:\(id)", details: ["kek_id": keyring.current.id])
            try await AuditLog.record(event, tenant: tenant, on: connection)
            return DataKey(id: id, material: material)
        }
    }

    /// The key with `id`, to decrypt an object whose header names it.
    /// - Throws: ``BlobStoreError/erased(_:)`` when it was shredded; ``BlobStoreError/corrupted(_:)`` when the tenant has
    ///   no such key (the header was altered or the object belongs elsewhere).
    func key(_ id: UUID, of tenant: TenantID, object: String) async throws -> DataKey {
        let keyring = try await self.keyring(for: tenant)
        return try await router.withTenantTransaction(tenant) { connection in
            let rows = try await connection.query("SELECT key_id, wrapped_key, kek_id, destroyed_at FROM tenant_data_keys WHERE key_id = \(id)")
            guard let row = rows.first else { throw BlobStoreError.corrupted(object) }
            if let destroyed = try row["destroyed_at", as: Date?.self] { throw BlobStoreError.erased(Self.erasedMessage(destroyed)) }
            return try Self.unwrap(row, tenant: tenant, keyring: keyring)
        }
    }

    /// Retires the current key and creates a new one for new objects; older objects stay readable. Audited `keys.rotated`.
    /// - Returns: the new key's description.
    @discardableResult
    public func rotate(_ tenant: TenantID, actor: AuditActor, requestID: String? = nil, sourceIP: String? = nil) async throws -> TenantDataKey {
        let keyring = try await self.keyring(for: tenant)
        return try await router.withTenantTransaction(tenant) { connection in
            if let erased = try await Self.erasureDate(on: connection) { throw BlobStoreError.erased(Self.erasedMessage(erased)) }
            let retired = try await connection.query(
                "UPDATE tenant_data_keys SET retired_at = now() WHERE retired_at IS NULL AND destroyed_at IS NULL RETURNING key_id"
            )
            let id = UUID()
            let wrapped = try Self.wrap(SecureRandom.bytes(count: AES256GCM.keyByteCount), id: id, tenant: tenant, kek: keyring.current)
            let rows = try await connection.query(
                """
                INSERT INTO tenant_data_keys (tenant_id, key_id, wrapped_key, kek_id) VALUES (\(tenant.rawValue), \(id), \(wrapped), \(keyring.current.id))
                RETURNING created_at
                """
            )
            var details = ["key_id": id.uuidString.lowercased(), "kek_id": keyring.current.id]
            if let previous = retired.first { details["previous_key_id"] = try previous["key_id", as: UUID.self].uuidString.lowercased() }
            let event = AuditEvent(actor: actor, action: "keys.rotated", target: "data_key:\(id)", sourceIP: sourceIP, requestID: requestID, details: details)
            try await AuditLog.record(event, tenant: tenant, on: connection)
            return TenantDataKey(id: id, kekID: keyring.current.id, createdAt: try rows[0]["created_at", as: Date.self], retiredAt: nil, destroyedAt: nil)
        }
    }

    /// Destroys every data key of `tenant` (wrapped key set to NULL): all its blobs become unreadable for good.
    /// Idempotent; audited `keys.shredded` on the first call.
    /// - Returns: when the keys were destroyed.
    @discardableResult
    public func shred(_ tenant: TenantID, actor: AuditActor, requestID: String? = nil, sourceIP: String? = nil) async throws -> Date {
        try await router.withTenantTransaction(tenant) { connection in
            let destroyed = try await connection.query(
                "UPDATE tenant_data_keys SET wrapped_key = NULL, destroyed_at = now() WHERE destroyed_at IS NULL RETURNING key_id, destroyed_at"
            )
            if destroyed.isEmpty, let erased = try await Self.erasureDate(on: connection) { return erased }
            let date = try destroyed.first?["destroyed_at", as: Date.self] ?? Date()
            if destroyed.isEmpty {
                // A tenant that never stored a blob still gets a tombstone key, so later reads and writes say "erased".
                try await connection.execute(
                    "INSERT INTO tenant_data_keys (tenant_id, key_id, kek_id, retired_at, destroyed_at) VALUES (\(tenant.rawValue), \(UUID()), '0000000000000000', \(date), \(date))"
                )
            }
            let event = AuditEvent(
                actor: actor, action: "keys.shredded", target: "tenant:\(tenant)", sourceIP: sourceIP, requestID: requestID,
                details: ["keys": String(destroyed.count)]
            )
            try await AuditLog.record(event, tenant: tenant, on: connection)
            return date
        }
    }

    /// The sentence readers of an erased tenant's data get.
    static func erasedMessage(_ date: Date) -> String {
        "The data of this organisation was erased on \(date.formatted(.iso8601.year().month().day())): it can no longer be read"
    }

    func keyring(for tenant: TenantID) async throws -> RegionKeyring {
        let region = try await router.homeRegion(of: tenant)
        guard let keyring = keyrings[region] else { throw KeyError.noKeyring(region: region) }
        return keyring
    }

    func keyring(region: String) throws(KeyError) -> RegionKeyring {
        guard let keyring = keyrings[region] else { throw .noKeyring(region: region) }
        return keyring
    }

    private nonisolated(nonsending) static func erasureDate(on connection: PostgresConnection) async throws -> Date? {
        try await connection.query("SELECT max(destroyed_at) AS erased FROM tenant_data_keys")[0]["erased", as: Date?.self]
    }

    private nonisolated(nonsending) static func currentRow(on connection: PostgresConnection) async throws -> PostgresRow? {
        try await connection.query(
            "SELECT key_id, wrapped_key, kek_id FROM tenant_data_keys WHERE retired_at IS NULL AND destroyed_at IS NULL"
        ).first
    }
}

extension TenantKeys: TenantKeyShredder {
    /// Tenant erasure's shredding step: destroys every data key of `tenant`, audited as done by the system.
    public func shred(_ tenant: TenantID) async throws {
        _ = try await shred(tenant, actor: .system)
    }
}
