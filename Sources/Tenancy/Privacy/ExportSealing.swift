import FalajCrypto
import Foundation
import Residency

/// Envelope encryption of a data-subject export at rest: the JSON is sealed (AES-256-GCM) under a fresh random key;
/// that key is sealed under the installation's export key (derived from the master secret, ``TenancySecrets``).
/// Both ciphertexts are bound to the tenant and request id as additional data, so a copy moved to another row does
/// not open. Clearing the wrapped key destroys one export without touching any other.
///
/// Why not the tenant's data key: exports are short-lived and must also work while the tenant-key store is not yet
/// wired in; once it is, the export key can be replaced by the tenant's data key without a schema change.
enum ExportSealing {
    /// The sealed JSON and the sealed per-export key, each as nonce ‖ ciphertext ‖ tag.
    static func seal(_ json: [UInt8], exportKey: [UInt8], tenant: TenantID, request: UUID) throws -> (sealed: [UInt8], wrappedKey: [UInt8]) {
        let key = SecureRandom.bytes(count: AES256GCM.keyByteCount)
        let sealed = try AES256GCM.seal(json, key: key, additionalData: additionalData("data", tenant, request))
        let wrapped = try AES256GCM.seal(key, key: exportKey, additionalData: additionalData("key", tenant, request))
        return (sealed.combined, wrapped.combined)
    }

    /// Opens what ``seal(_:exportKey:tenant:request:)`` produced.
    /// - Throws: `CryptoError` when anything was changed or moved.
    static func open(sealed: [UInt8], wrappedKey: [UInt8], exportKey: [UInt8], tenant: TenantID, request: UUID) throws -> [UInt8] {
        let key = try AES256GCM.open(try AES256GCM.SealedBox(combined: wrappedKey), key: exportKey, additionalData: additionalData("key", tenant, request))
        return try AES256GCM.open(try AES256GCM.SealedBox(combined: sealed), key: key, additionalData: additionalData("data", tenant, request))
    }

    private static func additionalData(_ part: String, _ tenant: TenantID, _ request: UUID) -> [UInt8] {
        Array("falaj export v1|\(part)|\(tenant)|\(request.uuidString.lowercased())".utf8)
    }
}
