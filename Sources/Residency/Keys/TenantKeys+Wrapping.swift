import FalajCrypto
import Foundation
import PostgresClient

extension TenantKeys {
    /// Moves every data key of every tenant homed in `region` onto the keyring's current KEK, one tenant transaction
    /// at a time. Blobs are not touched: they are encrypted under the data keys, which stay the same.
    /// Each tenant with re-wrapped keys gets a `keys.rewrapped` audit event. Safe to run again after an interruption.
    /// - Returns: how many data keys were re-wrapped.
    /// - Throws: ``KeyError/unknownKEK(id:region:)`` when a key is wrapped by a KEK the keyring no longer holds.
    @discardableResult
    public func rewrapAll(region: String, actor: AuditActor = .system) async throws -> Int {
        let keyring = try keyring(region: region)
        let tenants = try await directoryTenants(region: region)
        var total = 0
        for tenant in tenants {
            total += try await rewrap(tenant, keyring: keyring, actor: actor)
        }
        return total
    }

    private func rewrap(_ tenant: TenantID, keyring: RegionKeyring, actor: AuditActor) async throws -> Int {
        try await router.withTenantTransaction(tenant) { connection in
            let rows = try await connection.query(
                """
                SELECT key_id, wrapped_key, kek_id FROM tenant_data_keys
                WHERE wrapped_key IS NOT NULL AND kek_id <> \(keyring.current.id) FOR UPDATE
                """
            )
            for row in rows {
                let key = try Self.unwrap(row, tenant: tenant, keyring: keyring)
                let wrapped = try Self.wrap(key.material, id: key.id, tenant: tenant, kek: keyring.current)
                try await connection.execute(
                    "UPDATE tenant_data_keys SET wrapped_key = \(wrapped), kek_id = \(keyring.current.id) WHERE key_id = \(key.id)"
                )
            }
            if !rows.isEmpty {
                let event = AuditEvent(
                    actor: actor, action: "keys.rewrapped", target: "tenant:\(tenant)",
                    details: ["kek_id": keyring.current.id, "keys": String(rows.count)]
                )
                try await AuditLog.record(event, tenant: tenant, on: connection)
            }
            return rows.count
        }
    }

    /// Tenants whose home is `region`, from the directory.
    private func directoryTenants(region: String) async throws -> [TenantID] {
        try await router.directory.withConnection { connection in
            try await connection.query("SELECT id FROM tenants WHERE home_region = \(region) ORDER BY id").map { TenantID(try $0["id", as: UUID.self]) }
        }
    }

    /// Additional data that binds a wrapped key to its tenant and id, so a row copied elsewhere fails to unwrap.
    private static func wrappingContext(tenant: TenantID, id: UUID) -> [UInt8] {
        Array("falaj.dek.v1|\(tenant)|\(id.uuidString.lowercased())".utf8)
    }

    /// Seals a data key under `kek` (nonce ‖ ciphertext ‖ tag, 60 bytes).
    static func wrap(_ material: [UInt8], id: UUID, tenant: TenantID, kek: KeyEncryptionKey) throws -> [UInt8] {
        try AES256GCM.seal(material, key: kek.material, additionalData: wrappingContext(tenant: tenant, id: id)).combined
    }

    /// Unwraps the key in a row with `key_id`, `wrapped_key` and `kek_id`.
    /// - Throws: ``KeyError/unknownKEK(id:region:)`` or ``KeyError/unwrapFailed(keyID:kekID:)``.
    static func unwrap(_ row: PostgresRow, tenant: TenantID, keyring: RegionKeyring) throws -> DataKey {
        let id = try row["key_id", as: UUID.self]
        let kekID = try row["kek_id", as: String.self]
        guard let wrapped = try row["wrapped_key", as: [UInt8]?.self] else {
            throw BlobStoreError.erased(erasedMessage(Date()))
        }
        let kek = try keyring.key(id: kekID)
        do {
            let box = try AES256GCM.SealedBox(combined: wrapped)
            return DataKey(id: id, material: try AES256GCM.open(box, key: kek.material, additionalData: wrappingContext(tenant: tenant, id: id)))
        } catch {
            throw KeyError.unwrapFailed(keyID: id.uuidString.lowercased(), kekID: kekID)
        }
    }
}
