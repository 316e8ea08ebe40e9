import FalajCrypto
import Foundation
import Synchronization
import HTTPClient
@testable import Residency
import Testing

@Suite("S3BlobStore against moto's S3 server", .serialized)
struct S3BlobStoreTests {
    /// A store on a fresh bucket of a fresh moto, with test credentials (moto accepts any).
    private func withStore<T>(_ body: (S3BlobStore) async throws -> T) async throws -> T {
        try await MotoServer.with { moto in
            let configuration = S3Configuration(
                endpoint: moto.endpoint,
                region: "me-central-1",
                bucket: "falaj-test-\(Hex.encode(SecureRandom.bytes(count: 4)))",
                accessKeyID: "falajtest",
                secretAccessKey: "falajtestsecret"
            )
            let store = S3BlobStore(configuration: configuration)
            try await store.client.createBucket()
            return try await body(store)
        }
    }

    private func read(_ store: S3BlobStore, _ key: String) async throws -> (BlobInfo, [UInt8]) {
        let collected = Collected()
        let info = try await store.get(key) { chunk in collected.append(chunk) }
        return (info, collected.bytes)
    }

    @Test("streams a 6 MB object in and out, verified by SHA-256; info, list and delete see it")
    func roundTrip() async throws {
        try await withStore { store in
            let bytes = patternBytes(6 << 20)
            let digest = SHA256.hash(bytes)
            let stored = try await store.put("models/churn/v1.bin", from: ChunkSource(bytes: bytes), expectedSHA256: digest)
            #expect(stored == BlobInfo(size: Int64(bytes.count), sha256: digest))

            let (info, readBack) = try await read(store, "models/churn/v1.bin")
            #expect(info == stored)
            #expect(readBack == bytes)
            #expect(try await store.info("models/churn/v1.bin") == stored)

            _ = try await store.put("models/churn/v2.bin", from: ChunkSource(bytes: [1, 2, 3]), expectedSHA256: nil)
            _ = try await store.put("datasets/a.csv", from: ChunkSource(bytes: []), expectedSHA256: nil)
            #expect(try await store.list(prefix: "models/") == ["models/churn/v1.bin", "models/churn/v2.bin"])
            #expect(try await store.list(prefix: "") == ["datasets/a.csv", "models/churn/v1.bin", "models/churn/v2.bin"])
            #expect(try await read(store, "datasets/a.csv").1 == [])

            try await store.delete("models/churn/v1.bin")
            try await store.delete("models/churn/v1.bin")  // deleting what is gone is fine
            #expect(try await store.info("models/churn/v1.bin") == nil)
            #expect(try await store.list(prefix: "models/") == ["models/churn/v2.bin"])
        }
    }

    @Test("an upload that does not match its expected checksum leaves nothing visible, not even a temporary object")
    func checksumMismatchStoresNothing() async throws {
        try await withStore { store in
            let bytes = patternBytes(1 << 20, seed: 5)
            await #expect(throws: BlobStoreError.checksumMismatch("reports/q1.pdf")) {
                try await store.put("reports/q1.pdf", from: ChunkSource(bytes: bytes), expectedSHA256: SHA256.hash([0]))
            }
            #expect(try await store.info("reports/q1.pdf") == nil)
            #expect(try await store.list(prefix: "") == [])
            let raw = try await store.client.send("GET", key: nil, query: [("list-type", "2")])
            #expect(!String(decoding: raw.body, as: UTF8.self).contains("<Key>"))
        }
    }

    @Test("a failing source aborts the upload, rethrows its error and stores nothing")
    func failingSourceStoresNothing() async throws {
        try await withStore { store in
            await #expect(throws: SourceFailure.self) {
                try await store.put("a/b", from: ChunkSource(bytes: patternBytes(500_000), failure: SourceFailure()), expectedSHA256: nil)
            }
            #expect(try await store.info("a/b") == nil)
            let raw = try await store.client.send("GET", key: nil, query: [("list-type", "2")])
            #expect(!String(decoding: raw.body, as: UTF8.self).contains("<Key>"))
        }
    }

    @Test("reading a missing key throws notFound; invalid keys are refused")
    func missingAndInvalidKeys() async throws {
        try await withStore { store in
            await #expect(throws: BlobStoreError.notFound("no/such/key")) {
                _ = try await read(store, "no/such/key")
            }
            for bad in ["", "/abs", "a/../b", "Upper", "a//b", "~tmp/x", "sp ace"] {
                await #expect(throws: BlobStoreError.invalidKey(bad)) { _ = try await store.info(bad) }
            }
        }
    }

    @Test("an object overwritten behind the store's back (metadata kept) reads as corrupted")
    func tamperedObjectIsCorrupted() async throws {
        try await withStore { store in
            let original = patternBytes(300_000, seed: 9)
            let stored = try await store.put("evidence/log.txt", from: ChunkSource(bytes: original), expectedSHA256: nil)
            // Overwrite the final key directly with other bytes, keeping the recorded checksum.
            var tampered = original
            tampered[1234] ^= 0xFF
            let overwrite = try await store.client.send(
                "PUT",
                key: "evidence/log.txt",
                headers: [("x-amz-meta-sha256", Hex.encode(stored.sha256))],
                body: tampered
            )
            #expect(overwrite.status == 200)
            await #expect(throws: BlobStoreError.corrupted("evidence/log.txt")) {
                _ = try await read(store, "evidence/log.txt")
            }
            // An object without checksum metadata was not written by the store: also corrupted, never trusted.
            _ = try await store.client.send("PUT", key: "evidence/foreign", body: [1, 2, 3])
            await #expect(throws: BlobStoreError.corrupted("evidence/foreign")) {
                _ = try await read(store, "evidence/foreign")
            }
        }
    }

    @Test("credentials come from FALAJ_S3_ACCESS_KEY_ID / FALAJ_S3_SECRET_ACCESS_KEY and the secret is never printed")
    func configurationFromEnvironment() throws {
        let configuration = try S3Configuration.fromEnvironment(
            endpoint: "https://s3.example/",
            region: "me-central-1",
            bucket: "b",
            environment: ["FALAJ_S3_ACCESS_KEY_ID": "AKID", "FALAJ_S3_SECRET_ACCESS_KEY": "hunter2"]
        )
        #expect(configuration.endpoint == "https://s3.example")
        #expect(configuration.secretAccessKey == "hunter2")
        #expect(!configuration.description.contains("hunter2"))
        #expect(throws: BlobStoreError.self) {
            try S3Configuration.fromEnvironment(endpoint: "https://s3.example", region: "r", bucket: "b", environment: [:])
        }
    }
}

/// Chunks received by a sink, in order.
final class Collected: Sendable {
    private let storage = Mutex<[UInt8]>([])
    func append(_ chunk: [UInt8]) { storage.withLock { $0 += chunk } }
    var bytes: [UInt8] { storage.withLock { $0 } }
}

func patternBytes(_ count: Int, seed: Int = 0) -> [UInt8] {
    let period = 65_521  // a prime, so the pattern never lines up with chunk sizes
    let block = (0..<period).map { UInt8(truncatingIfNeeded: ($0 &+ seed) &* 7 &+ ($0 >> 9)) }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count)
    while bytes.count < count { bytes += block.prefix(count - bytes.count) }
    return bytes
}

struct SourceFailure: Error {}

/// Yields `bytes` in uneven chunks, then throws `failure` if given.
struct ChunkSource: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    typealias Failure = any Error
    let bytes: [UInt8]
    var failure: SourceFailure?

    func makeAsyncIterator() -> Iterator { Iterator(source: self) }

    struct Iterator: AsyncIteratorProtocol {
        let source: ChunkSource
        var offset = 0
        var index = 0

        mutating func next() async throws -> [UInt8]? {
            guard offset < source.bytes.count else {
                if let failure = source.failure { throw failure }
                return nil
            }
            let size = Swift.min([65_536, 999, 200_000, 7][index % 4], source.bytes.count - offset)
            index += 1
            defer { offset += size }
            return Array(source.bytes[offset..<offset + size])
        }
    }
}
