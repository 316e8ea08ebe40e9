import FalajCrypto
import Foundation
import PostgresClient
import Residency
import Synchronization
import TestSupport

/// `count` chunks of `chunkSize` pseudo-random bytes, made on demand (never the whole object), optionally failing
/// after `failAfter` chunks to simulate an upload that dies half-way.
struct GeneratedBytes: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    typealias Failure = any Error

    let count: Int
    let chunkSize: Int
    var failAfter: Int?
    /// One random block; chunk *i* is this block with *i* written into its first 8 bytes.
    let block: [UInt8]

    init(count: Int, chunkSize: Int, failAfter: Int? = nil, seed: [UInt8] = SecureRandom.bytes(count: 1 << 20)) {
        self.count = count
        self.chunkSize = chunkSize
        self.failAfter = failAfter
        self.block = Array(seed.prefix(chunkSize)) + [UInt8](repeating: 7, count: Swift.max(0, chunkSize - seed.count))
    }

    /// The chunk at `index`.
    func chunk(_ index: Int) -> [UInt8] {
        var chunk = block
        withUnsafeBytes(of: UInt64(index).bigEndian) { bytes in
            for (offset, byte) in bytes.enumerated() where offset < chunk.count { chunk[offset] = byte }
        }
        return chunk
    }

    /// The SHA-256 of everything this sequence yields, computed chunk by chunk.
    func sha256() -> [UInt8] {
        let hasher = SHA256.Hasher()
        for index in 0..<count { hasher.update(chunk(index)) }
        return hasher.finalize()
    }

    func makeAsyncIterator() -> Iterator { Iterator(sequence: self) }

    struct Iterator: AsyncIteratorProtocol {
        let sequence: GeneratedBytes
        var index = 0

        mutating func next() async throws -> [UInt8]? {
            if let failAfter = sequence.failAfter, index == failAfter { throw SimulatedCrash() }
            guard index < sequence.count else { return nil }
            defer { index += 1 }
            return sequence.chunk(index)
        }
    }
}

/// The error a ``GeneratedBytes`` throws half-way.
struct SimulatedCrash: Error {}

/// A ``BlobStore`` that passes everything to another and records the largest piece it was handed.
final class MeasuringBlobStore: BlobStore {
    let inner: any BlobStore
    private let largest = Mutex(0)

    init(_ inner: any BlobStore) { self.inner = inner }

    /// The largest piece handed to `put` so far.
    var largestPiece: Int { largest.withLock { $0 } }

    func put(_ key: String, from source: some AsyncSequence<[UInt8], any Error> & Sendable, expectedSHA256: [UInt8]?) async throws -> BlobInfo {
        try await inner.put(key, from: source.map { [self] bytes in
            self.largest.withLock { $0 = max($0, bytes.count) }
            return bytes
        }, expectedSHA256: expectedSHA256)
    }

    func get(_ key: String, into sink: @Sendable ([UInt8]) async throws -> Void) async throws -> BlobInfo { try await inner.get(key, into: sink) }
    func info(_ key: String) async throws -> BlobInfo? { try await inner.info(key) }
    func delete(_ key: String) async throws { try await inner.delete(key) }
    func list(prefix: String) async throws -> [String] { try await inner.list(prefix: prefix) }
}

/// Collects what a `get` delivers, hashing it and remembering the largest piece; keeps the bytes only when asked.
final class CollectingSink: Sendable {
    private struct State {
        var hasher = SendableBox(SHA256.Hasher())
        var count: Int64 = 0
        var largest = 0
        var bytes: [UInt8]? = nil
    }
    private let state: Mutex<State>

    init(isKeepingBytes: Bool = false) {
        var state = State()
        if isKeepingBytes { state.bytes = [] }
        self.state = Mutex(state)
    }

    /// Receives one piece.
    @Sendable func receive(_ piece: [UInt8]) {
        state.withLock { state in
            state.hasher.value.update(piece)
            state.count += Int64(piece.count)
            state.largest = max(state.largest, piece.count)
            state.bytes?.append(contentsOf: piece)
        }
    }

    var sha256: [UInt8] { state.withLock { $0.hasher.value.finalize() } }
    var count: Int64 { state.withLock { $0.count } }
    var largest: Int { state.withLock { $0.largest } }
    var bytes: [UInt8] { state.withLock { $0.bytes ?? [] } }
}

/// Holds a non-Sendable value inside a `Mutex`.
struct SendableBox<Value>: @unchecked Sendable {
    // @unchecked: only ever read or mutated inside the owning Mutex's withLock.
    var value: Value
    init(_ value: Value) { self.value = value }
}

/// A throw-away blob directory.
func temporaryBlobRoot() -> URL {
    URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("falaj-blobs-\(UUID().uuidString.lowercased())")
}

/// A test environment with a file store per region, a keyring per region and a helper to make tenants.
struct BlobHarness: Sendable {
    let environment: TenancyTestEnvironment
    let root: URL
    let keyrings: [RegionKeyring]
    let store: MeasuringBlobStore

    static func with<Result>(chunkSize: Int = EncryptedBlobFormat.maximumChunkSize, _ body: (BlobHarness, TenantBlobs) async throws -> Result) async throws -> Result {
        try await TenancyTestEnvironment.with { environment in
            let root = temporaryBlobRoot()
            defer { try? FileManager.default.removeItem(at: root) }
            let keyrings = TenancyTestEnvironment.regions.map { RegionKeyring(region: $0.id, current: .generate()) }
            let store = MeasuringBlobStore(FileBlobStore(root: root))
            let harness = BlobHarness(environment: environment, root: root, keyrings: keyrings, store: store)
            return try await body(harness, harness.blobs(keyrings: keyrings, chunkSize: chunkSize))
        }
    }

    /// A facade over the same store with other keyrings (to simulate a KEK change).
    func blobs(keyrings: [RegionKeyring], chunkSize: Int = EncryptedBlobFormat.maximumChunkSize) -> TenantBlobs {
        let stores: [String: any BlobStore] = Dictionary(uniqueKeysWithValues: TenancyTestEnvironment.regions.map { ($0.id, store as any BlobStore) })
        return TenantBlobs(keys: keys(keyrings), stores: stores, chunkSize: chunkSize)
    }

    /// A key service with `keyrings`.
    func keys(_ keyrings: [RegionKeyring]? = nil) -> TenantKeys { TenantKeys(router: environment.router, keyrings: keyrings ?? self.keyrings) }

    /// A tenant row in the directory, homed in `region`.
    func tenant(region: String = "eu-west-1") async throws -> TenantID {
        let tenant = TenantID.generate()
        let slug = "t-" + Hex.encode(SecureRandom.bytes(count: 6))
        try await environment.asSuperuserInDirectory { connection in
            try await connection.execute(
                "INSERT INTO tenants (id, slug, display_name, home_region, status) VALUES (\(tenant.rawValue), \(slug), 'Blob test', \(region), 'active')"
            )
        }
        return tenant
    }

    /// Reads the raw stored (encrypted) bytes of an object.
    func storedBytes(_ key: String) async throws -> [UInt8] {
        let sink = CollectingSink(isKeepingBytes: true)
        _ = try await store.get(key, into: sink.receive)
        return sink.bytes
    }
}

/// Bytes of a small object as a one-piece sequence.
func bytesSequence(_ bytes: [UInt8], pieceSize: Int = 4096) -> GeneratedPieces { GeneratedPieces(bytes: bytes, pieceSize: pieceSize) }

/// A fixed byte array yielded in pieces.
struct GeneratedPieces: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    typealias Failure = any Error
    let bytes: [UInt8]
    let pieceSize: Int

    func makeAsyncIterator() -> Iterator { Iterator(bytes: bytes, pieceSize: pieceSize) }

    struct Iterator: AsyncIteratorProtocol {
        let bytes: [UInt8]
        let pieceSize: Int
        var offset = 0

        mutating func next() async throws -> [UInt8]? {
            guard offset < bytes.count else { return nil }
            defer { offset += pieceSize }
            return Array(bytes[offset..<Swift.min(bytes.count, offset + pieceSize)])
        }
    }
}
