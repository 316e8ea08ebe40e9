import FalajCrypto
public import Foundation
import Synchronization

/// What ``TenantBlobs/put(_:name:from:expectedSHA256:)`` stored.
public struct TenantBlobInfo: Sendable, Equatable {
    /// The object's key in the region's store (`tenants/<tenant-id>/<name>`).
    public var storeKey: String
    /// The data key it is encrypted with.
    public var keyID: UUID
    /// Size and SHA-256 of the encrypted bytes in the store.
    public var stored: BlobInfo
}

/// Tenants' objects, encrypted with each tenant's current data key in the ``EncryptedBlobFormat`` and kept in the
/// ``BlobStore`` of the tenant's home region under `tenants/<tenant-id>/<name>`.
///
/// Both directions stream: memory stays near one chunk (at most 1 MiB plus overhead) whatever the object's size.
public final class TenantBlobs: Sendable {
    private let keys: TenantKeys
    private let stores: [String: any BlobStore]
    private let chunkSize: Int

    /// A facade over `keys` and one store per region id.
    /// - Parameters:
    ///   - chunkSize: plaintext bytes per chunk; defaults to (and is capped at) ``EncryptedBlobFormat/maximumChunkSize``.
    public init(keys: TenantKeys, stores: [String: any BlobStore], chunkSize: Int = EncryptedBlobFormat.maximumChunkSize) {
        self.keys = keys
        self.stores = stores
        self.chunkSize = min(max(1, chunkSize), EncryptedBlobFormat.maximumChunkSize)
    }

    /// The store key of `name` for `tenant`.
    /// - Throws: ``BlobStoreError/invalidKey(_:)`` when `name` is not a valid relative key.
    public static func storeKey(_ tenant: TenantID, name: String) throws(BlobStoreError) -> String {
        let key = "tenants/\(tenant)/\(name)"
        guard FileBlobStore.isValidKey(key) else { throw .invalidKey(name) }
        return key
    }

    /// Encrypts `source` with the tenant's current data key while streaming it into the home region's store.
    /// Nothing is visible until the whole object is stored.
    /// - Parameters:
    ///   - expectedSHA256: the plaintext's SHA-256; when given and different, nothing is stored and
    ///     ``BlobStoreError/checksumMismatch(_:)`` is thrown.
    /// - Throws: ``BlobStoreError/erased(_:)`` for a tenant whose keys were shredded.
    @discardableResult
    public func put(
        _ tenant: TenantID,
        name: String,
        from source: some AsyncSequence<[UInt8], any Error> & Sendable,
        expectedSHA256: [UInt8]? = nil
    ) async throws -> TenantBlobInfo {
        let storeKey = try Self.storeKey(tenant, name: name)
        let store = try await self.store(for: tenant)
        let key = try await keys.currentKey(for: tenant)
        let sealed = EncryptingSequence(base: source, key: key, chunkSize: chunkSize, context: Array(storeKey.utf8), name: name, expectedSHA256: expectedSHA256)
        let stored = try await store.put(storeKey, from: sealed, expectedSHA256: nil)
        return TenantBlobInfo(storeKey: storeKey, keyID: key.id, stored: stored)
    }

    /// Decrypts the object into `sink`, chunk by chunk; each chunk is delivered only after its tag verified.
    ///
    /// When this throws after delivering some chunks, discard them: the object is damaged further on.
    /// - Returns: the number of plaintext bytes delivered.
    /// - Throws: ``BlobStoreError/erased(_:)`` for a shredded tenant, ``BlobStoreError/notFound(_:)``, or
    ///   ``BlobStoreError/corrupted(_:)`` when the object was altered, truncated or extended.
    @discardableResult
    public func get(_ tenant: TenantID, name: String, into sink: @Sendable ([UInt8]) async throws -> Void) async throws -> Int64 {
        let storeKey = try Self.storeKey(tenant, name: name)
        let store = try await self.store(for: tenant)
        if let erased = try await keys.erasureDate(of: tenant) { throw BlobStoreError.erased(TenantKeys.erasedMessage(erased)) }
        let opener = Mutex(EncryptedBlobFormat.Opener(object: name, context: Array(storeKey.utf8)))
        let delivered = Mutex<Int64>(0)
        let keys = self.keys
        do {
            _ = try await store.get(storeKey) { bytes in
                let needed = try opener.withLock { opener throws(BlobStoreError) in
                    try opener.append(bytes)
                    return opener.neededKeyID
                }
                if let needed {
                    let key = try await keys.key(needed, of: tenant, object: name)
                    opener.withLock { $0.key = key.material }
                }
                while let plaintext = try opener.withLock({ opener throws(BlobStoreError) in try opener.openNext() }) {
                    try await sink(plaintext)
                    delivered.withLock { $0 += Int64(plaintext.count) }
                }
            }
        } catch BlobStoreError.notFound {
            throw BlobStoreError.notFound(name)
        }
        let last = try opener.withLock { opener throws(BlobStoreError) in try opener.finish() }
        if !last.isEmpty { try await sink(last) }
        return delivered.withLock { $0 } + Int64(last.count)
    }

    /// Removes the object; no error when there is none.
    public func delete(_ tenant: TenantID, name: String) async throws {
        try await store(for: tenant).delete(try Self.storeKey(tenant, name: name))
    }

    /// The tenant's object names under `prefix`, sorted.
    public func list(_ tenant: TenantID, prefix: String = "") async throws -> [String] {
        let base = "tenants/\(tenant)/"
        return try await store(for: tenant).list(prefix: base + prefix).map { String($0.dropFirst(base.count)) }
    }

    private func store(for tenant: TenantID) async throws -> any BlobStore {
        let region = try await keys.router.homeRegion(of: tenant)
        guard let store = stores[region] else { throw BlobStoreError.backend("Region \(region) has no blob store configured in this control plane") }
        return store
    }
}

/// The encrypted form of a plaintext stream: the header, then sealed chunks, pulled on demand (never read ahead).
struct EncryptingSequence<Base: AsyncSequence<[UInt8], any Error> & Sendable>: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    typealias Failure = any Error

    let base: Base
    let key: DataKey
    let chunkSize: Int
    let context: [UInt8]
    let name: String
    let expectedSHA256: [UInt8]?

    func makeAsyncIterator() -> Iterator {
        let sealer = EncryptedBlobFormat.Sealer(key: key, chunkSize: chunkSize, context: context)
        return Iterator(base: base.makeAsyncIterator(), sealer: sealer, pending: [sealer.header.bytes], name: name, expectedSHA256: expectedSHA256)
    }

    struct Iterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        var sealer: EncryptedBlobFormat.Sealer
        var pending: [[UInt8]]
        let name: String
        let expectedSHA256: [UInt8]?
        let hasher = SHA256.Hasher()
        var isFinished = false

        mutating func next() async throws -> [UInt8]? {
            while true {
                if !pending.isEmpty { return pending.removeFirst() }
                if isFinished { return nil }
                if let bytes = try await base.next() {
                    if expectedSHA256 != nil { hasher.update(bytes) }
                    pending = try sealer.append(bytes)
                } else {
                    // Checked before the final chunk leaves, so the store never sees a complete object.
                    if let expectedSHA256, !ConstantTime.equals(hasher.finalize(), expectedSHA256) { throw BlobStoreError.checksumMismatch(name) }
                    pending = [try sealer.finish()]
                    isFinished = true
                }
            }
        }
    }
}
