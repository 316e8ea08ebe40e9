import FalajCrypto
import Foundation
import Residency
import Testing

@Suite struct FileBlobStoreTests {
    @Test func roundTripStreamsInChunksAndReportsChecksum() async throws {
        let root = temporaryBlobRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let store = FileBlobStore(root: root, configuration: .init(readChunkSize: 1000))
        let bytes = SecureRandom.bytes(count: 10_000)
        let info = try await store.put("a/b/c.bin", from: bytesSequence(bytes, pieceSize: 777), expectedSHA256: SHA256.hash(bytes))
        #expect(info == BlobInfo(size: 10_000, sha256: SHA256.hash(bytes)))
        let sink = CollectingSink(isKeepingBytes: true)
        #expect(try await store.get("a/b/c.bin", into: sink.receive) == info)
        #expect(sink.bytes == bytes)
        #expect(sink.largest == 1000)
        #expect(try await store.info("a/b/c.bin") == info)
        #expect(try await store.list(prefix: "a/") == ["a/b/c.bin"])
        try await store.delete("a/b/c.bin")
        try await store.delete("a/b/c.bin")
        #expect(try await store.info("a/b/c.bin") == nil)
        await #expect(throws: BlobStoreError.notFound("a/b/c.bin")) { try await store.get("a/b/c.bin", into: { _ in }) }
    }

    @Test(arguments: ["../escape", "a/../../b", "/abs", "a//b", ".tmp/x", "a/.hidden", "UPPER", "a b", "", "a/"])
    func refusesKeysOutsideTheTree(_ key: String) async throws {
        let root = temporaryBlobRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let store = FileBlobStore(root: root)
        await #expect(throws: BlobStoreError.invalidKey(key)) { try await store.put(key, from: bytesSequence([1]), expectedSHA256: nil) }
        await #expect(throws: BlobStoreError.invalidKey(key)) { try await store.get(key, into: { _ in }) }
    }

    @Test func wrongExpectedChecksumStoresNothing() async throws {
        let root = temporaryBlobRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let store = FileBlobStore(root: root)
        await #expect(throws: BlobStoreError.checksumMismatch("x")) {
            try await store.put("x", from: bytesSequence([1, 2, 3]), expectedSHA256: SHA256.hash([9]))
        }
        #expect(try await store.info("x") == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(".tmp").path).isEmpty)
    }

    @Test func uploadThatDiesHalfWayLeavesNoVisibleObjectAndOldVersionStays() async throws {
        let root = temporaryBlobRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let store = FileBlobStore(root: root)
        let old = try await store.put("model.bin", from: bytesSequence([1, 2, 3]), expectedSHA256: nil)
        await #expect(throws: SimulatedCrash.self) {
            try await store.put("model.bin", from: GeneratedBytes(count: 8, chunkSize: 4096, failAfter: 4), expectedSHA256: nil)
        }
        await #expect(throws: SimulatedCrash.self) {
            try await store.put("fresh.bin", from: GeneratedBytes(count: 8, chunkSize: 4096, failAfter: 4), expectedSHA256: nil)
        }
        #expect(try await store.info("model.bin") == old)
        #expect(try await store.info("fresh.bin") == nil)
        #expect(try await store.list(prefix: "") == ["model.bin"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(".tmp").path).isEmpty)
    }

    @Test func crashBetweenWriteAndRenameLeavesATemporaryFileTheNextStartRemoves() async throws {
        let root = temporaryBlobRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        // A process died after writing its temporary file, before the rename: simulate its left-over.
        let temporary = root.appendingPathComponent(".tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        let leftOver = temporary.appendingPathComponent("0123456789abcdef").path
        #expect(FileManager.default.createFile(atPath: leftOver, contents: Data(repeating: 1, count: 4096)))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: leftOver)
        let store = FileBlobStore(root: root)
        #expect(try await store.list(prefix: "") == [])
        _ = try await store.put("next", from: bytesSequence([4, 5]), expectedSHA256: nil)
        #expect(!FileManager.default.fileExists(atPath: leftOver))
        #expect(try await store.list(prefix: "") == ["next"])
    }

    @Test func damagedFileIsReportedCorrupted() async throws {
        let root = temporaryBlobRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let store = FileBlobStore(root: root)
        _ = try await store.put("d", from: bytesSequence(SecureRandom.bytes(count: 5000)), expectedSHA256: nil)
        let path = root.appendingPathComponent("d").path
        var contents = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        contents[2000] ^= 0x01
        try Data(contents).write(to: URL(fileURLWithPath: path))
        await #expect(throws: BlobStoreError.corrupted("d")) { try await store.get("d", into: { _ in }) }
        try Data(contents.prefix(3000)).write(to: URL(fileURLWithPath: path))
        await #expect(throws: BlobStoreError.corrupted("d")) { try await store.get("d", into: { _ in }) }
    }
}
