import FalajCrypto
import Foundation
import PostgresClient
import Residency
import TestSupport
import Testing

@Suite struct TenantBlobsTests {
    @Test func twoHundredMegabytesRoundTripWithBoundedBuffers() async throws {
        try await BlobHarness.with { harness, blobs in
            let tenant = try await harness.tenant()
            let source = GeneratedBytes(count: 200, chunkSize: 1 << 20)
            let expected = source.sha256()
            let stored = try await blobs.put(tenant, name: "models/big.bin", from: source, expectedSHA256: expected)
            let chunkBound = EncryptedBlobFormat.maximumChunkSize + EncryptedBlobFormat.chunkOverhead
            #expect(harness.store.largestPiece <= chunkBound)
            #expect(stored.stored.size == Int64(200 << 20) + Int64(EncryptedBlobFormat.headerByteCount) + 200 * 16)
            let sink = CollectingSink()
            let delivered = try await blobs.get(tenant, name: "models/big.bin", into: sink.receive)
            #expect(delivered == Int64(200 << 20))
            #expect(sink.sha256 == expected)
            #expect(sink.largest <= EncryptedBlobFormat.maximumChunkSize)
            #expect(try await blobs.list(tenant) == ["models/big.bin"])
        }
    }

    @Test func storedBytesAreCiphertextUnderTheTenantPrefix() async throws {
        try await BlobHarness.with(chunkSize: 4096) { harness, blobs in
            let tenant = try await harness.tenant()
            let plaintext = Array(repeating: UInt8(ascii: "A"), count: 10_000)
            let stored = try await blobs.put(tenant, name: "notes.txt", from: bytesSequence(plaintext))
            #expect(stored.storeKey == "tenants/\(tenant)/notes.txt")
            let raw = try await harness.storedBytes(stored.storeKey)
            #expect(Array(raw.prefix(8)) == Array("FALAJENC".utf8))
            #expect(raw.filter { $0 == UInt8(ascii: "A") }.count < 200)
            await #expect(throws: BlobStoreError.checksumMismatch("bad.txt")) {
                try await blobs.put(tenant, name: "bad.txt", from: bytesSequence(plaintext), expectedSHA256: SHA256.hash([1]))
            }
            #expect(try await harness.store.info("tenants/\(tenant)/bad.txt") == nil)
        }
    }

    @Test func flippedCiphertextByteIsCorruptedAndThatChunkIsNeverDelivered() async throws {
        try await BlobHarness.with(chunkSize: 4096) { harness, blobs in
            let tenant = try await harness.tenant()
            let plaintext = SecureRandom.bytes(count: 4096 * 5 + 100)
            let stored = try await blobs.put(tenant, name: "t.bin", from: bytesSequence(plaintext, pieceSize: 3000))
            var raw = try await harness.storedBytes(stored.storeKey)
            // A byte inside chunk 2 (0-based): header + two sealed chunks + a little.
            raw[44 + 2 * (4096 + 16) + 10] ^= 0x80
            // Rewritten through the store, so the store's own checksum is valid and only the GCM tag can notice.
            _ = try await harness.store.put(stored.storeKey, from: bytesSequence(raw), expectedSHA256: nil)
            let sink = CollectingSink(isKeepingBytes: true)
            await #expect(throws: BlobStoreError.corrupted("t.bin")) { try await blobs.get(tenant, name: "t.bin", into: sink.receive) }
            #expect(sink.count == 2 * 4096)
            #expect(SHA256.hash(sink.bytes) == SHA256.hash(plaintext.prefix(2 * 4096)))
        }
    }

    @Test(arguments: [1, 16, 4096 + 16, 4096 * 2])
    func truncatedOrExtendedObjectIsAnError(cut: Int) async throws {
        try await BlobHarness.with(chunkSize: 4096) { harness, blobs in
            let tenant = try await harness.tenant()
            let plaintext = SecureRandom.bytes(count: 4096 * 3)
            let stored = try await blobs.put(tenant, name: "t.bin", from: bytesSequence(plaintext))
            let raw = try await harness.storedBytes(stored.storeKey)
            _ = try await harness.store.put(stored.storeKey, from: bytesSequence(Array(raw.dropLast(cut))), expectedSHA256: nil)
            await #expect(throws: BlobStoreError.corrupted("t.bin")) { try await blobs.get(tenant, name: "t.bin", into: { _ in }) }
            _ = try await harness.store.put(stored.storeKey, from: bytesSequence(raw + [0]), expectedSHA256: nil)
            await #expect(throws: BlobStoreError.corrupted("t.bin")) { try await blobs.get(tenant, name: "t.bin", into: { _ in }) }
        }
    }

    @Test func objectMovedToAnotherNameDoesNotDecrypt() async throws {
        try await BlobHarness.with(chunkSize: 4096) { harness, blobs in
            let tenant = try await harness.tenant()
            let stored = try await blobs.put(tenant, name: "a.bin", from: bytesSequence(SecureRandom.bytes(count: 100)))
            let raw = try await harness.storedBytes(stored.storeKey)
            _ = try await harness.store.put("tenants/\(tenant)/b.bin", from: bytesSequence(raw), expectedSHA256: nil)
            await #expect(throws: BlobStoreError.corrupted("b.bin")) { try await blobs.get(tenant, name: "b.bin", into: { _ in }) }
        }
    }

    @Test func emptyObjectRoundTrips() async throws {
        try await BlobHarness.with { harness, blobs in
            let tenant = try await harness.tenant()
            _ = try await blobs.put(tenant, name: "empty", from: bytesSequence([]))
            let sink = CollectingSink(isKeepingBytes: true)
            #expect(try await blobs.get(tenant, name: "empty", into: sink.receive) == 0)
            #expect(sink.bytes.isEmpty)
        }
    }
}
