import FalajCrypto
import Foundation
import PostgresClient
import Residency
import TestSupport
import Testing

@Suite struct TenantKeysTests {
    @Test func shreddedTenantReadsFailWithErasedAndTheShreddingIsAudited() async throws {
        try await BlobHarness.with(chunkSize: 4096) { harness, blobs in
            let tenant = try await harness.tenant()
            let other = try await harness.tenant()
            _ = try await blobs.put(tenant, name: "a.bin", from: bytesSequence(SecureRandom.bytes(count: 9000)))
            _ = try await blobs.put(other, name: "a.bin", from: bytesSequence([1, 2, 3]))
            let keys = harness.keys()
            let date = try await keys.shred(tenant, actor: .system, requestID: "req-1")
            #expect(try await keys.shred(tenant, actor: .system) == date)
            let message = "The data of this organisation was erased on \(date.formatted(.iso8601.year().month().day())): it can no longer be read"
            await #expect(throws: BlobStoreError.erased(message)) { try await blobs.get(tenant, name: "a.bin", into: { _ in }) }
            await #expect(throws: BlobStoreError.erased(message)) { try await blobs.put(tenant, name: "b.bin", from: bytesSequence([1])) }
            #expect(try await keys.keys(of: tenant).allSatisfy { $0.destroyedAt != nil })
            let wrapped = try await harness.environment.asSuperuser(region: "eu-west-1") { connection in
                try await connection.query("SELECT count(*) AS n FROM tenant_data_keys WHERE tenant_id = \(tenant.rawValue) AND wrapped_key IS NOT NULL")[0]["n", as: Int.self]
            }
            #expect(wrapped == 0)
            let events = try await harness.environment.router.withTenantTransaction(tenant) { connection in
                try await AuditLog.events(AuditFilter(actionPrefix: "keys.shredded"), on: connection)
            }
            #expect(events.count == 1)
            #expect(events.first?.requestID == "req-1")
            // Another tenant of the same cell is untouched.
            let sink = CollectingSink(isKeepingBytes: true)
            try await blobs.get(other, name: "a.bin", into: sink.receive)
            #expect(sink.bytes == [1, 2, 3])
        }
    }

    @Test func rotationKeepsOldObjectsReadableAndEncryptsNewOnesWithTheNewKey() async throws {
        try await BlobHarness.with(chunkSize: 4096) { harness, blobs in
            let tenant = try await harness.tenant()
            let first = try await blobs.put(tenant, name: "old.bin", from: bytesSequence([1, 2, 3]))
            let keys = harness.keys()
            let rotated = try await keys.rotate(tenant, actor: .system, requestID: "req-2")
            #expect(rotated.id != first.keyID)
            let second = try await blobs.put(tenant, name: "new.bin", from: bytesSequence([4, 5]))
            #expect(second.keyID == rotated.id)
            let listed = try await keys.keys(of: tenant)
            #expect(listed.map(\.id) == [rotated.id, first.keyID])
            #expect(listed[0].isCurrent && listed[1].retiredAt != nil)
            let sink = CollectingSink(isKeepingBytes: true)
            try await blobs.get(tenant, name: "old.bin", into: sink.receive)
            #expect(sink.bytes == [1, 2, 3])
            let events = try await harness.environment.router.withTenantTransaction(tenant) { connection in
                try await AuditLog.events(AuditFilter(actionPrefix: "keys.rotated"), on: connection)
            }
            #expect(events.first?.details["previous_key_id"] == first.keyID.uuidString.lowercased())
        }
    }

    @Test func kekRotationRewrapsWithoutChangingBlobBytes() async throws {
        try await BlobHarness.with(chunkSize: 4096) { harness, blobs in
            let tenant = try await harness.tenant()
            let uae = try await harness.tenant(region: "me-central-1")
            let stored = try await blobs.put(tenant, name: "m.bin", from: bytesSequence(SecureRandom.bytes(count: 10_000)))
            _ = try await harness.keys().rotate(tenant, actor: .system)
            let before = try await harness.storedBytes(stored.storeKey)
            let old = harness.keyrings.first { $0.region == "eu-west-1" }!
            let newKEK = KeyEncryptionKey.generate()
            let rotating = harness.keyrings.map { $0.region == "eu-west-1" ? RegionKeyring(region: $0.region, current: newKEK, older: [old.current]) : $0 }
            #expect(try await harness.keys(rotating).rewrapAll(region: "eu-west-1") == 2)
            #expect(try await harness.keys(rotating).rewrapAll(region: "eu-west-1") == 0)
            #expect(try await harness.storedBytes(stored.storeKey) == before)
            #expect(try await harness.keys().keys(of: tenant).allSatisfy { $0.kekID == newKEK.id })
            // The old KEK can now be dropped: the new one alone reads everything.
            let onlyNew = harness.keyrings.map { $0.region == "eu-west-1" ? RegionKeyring(region: $0.region, current: newKEK) : $0 }
            let sink = CollectingSink()
            try await harness.blobs(keyrings: onlyNew, chunkSize: 4096).get(tenant, name: "m.bin", into: sink.receive)
            #expect(sink.count == 10_000)
            #expect(try await harness.keys().keys(of: uae).isEmpty)
        }
    }

    @Test func wrongKEKIsAClearError() async throws {
        try await BlobHarness.with(chunkSize: 4096) { harness, blobs in
            let tenant = try await harness.tenant()
            _ = try await blobs.put(tenant, name: "m.bin", from: bytesSequence([1, 2, 3]))
            let right = harness.keyrings.first { $0.region == "eu-west-1" }!.current
            let wrong = harness.keyrings.map { RegionKeyring(region: $0.region, current: .generate()) }
            let error = await #expect(throws: KeyError.unknownKEK(id: right.id, region: "eu-west-1")) {
                try await harness.blobs(keyrings: wrong, chunkSize: 4096).get(tenant, name: "m.bin", into: { _ in })
            }
            #expect(error?.description.contains("FALAJ_KEK_EU_WEST_1") == true)
            // A row altered in the database (or a KEK file swapped under the same id) fails to unwrap.
            try await harness.environment.asSuperuser(region: "eu-west-1") { connection in
                try await connection.execute("UPDATE tenant_data_keys SET wrapped_key = set_byte(wrapped_key, 20, 0) WHERE tenant_id = \(tenant.rawValue)")
            }
            await #expect(throws: KeyError.self) { try await blobs.get(tenant, name: "m.bin", into: { _ in }) }
        }
    }

    @Test func keyringLoadsFromEnvironmentOrCreatesAPrivateKeyFile() async throws {
        let (keyBytes, olderBytes) = (SecureRandom.bytes(count: 32), SecureRandom.bytes(count: 32))
        let key = try KeyEncryptionKey(material: keyBytes)
        let older = try KeyEncryptionKey(material: olderBytes)
        let environment = ["FALAJ_KEK_ME_CENTRAL_1": "\(Base64URL.encode(keyBytes)),\n\(Base64URL.encode(olderBytes))"]
        let fromEnvironment = try await RegionKeyring.load(region: "me-central-1", dataDirectory: nil, environment: environment)
        #expect(fromEnvironment.current.id == key.id && fromEnvironment.keyIDs == [key.id, older.id].sorted())
        #expect(key.id.count == 16 && !"\(fromEnvironment)".contains(Base64URL.encode(keyBytes)))
        await #expect(throws: KeyError.self) { try await RegionKeyring.load(region: "eu-west-1", dataDirectory: nil, environment: [:]) }
        await #expect(throws: KeyError.self) {
            try await RegionKeyring.load(region: "eu-west-1", dataDirectory: nil, environment: ["FALAJ_KEK_EU_WEST_1": "short"])
        }
        let directory = temporaryBlobRoot()
        defer { try? FileManager.default.removeItem(at: directory) }
        await #expect(throws: KeyError.self) { try await RegionKeyring.load(region: "eu-west-1", dataDirectory: directory, environment: [:]) }
        let created = try await RegionKeyring.load(region: "eu-west-1", dataDirectory: directory, environment: [:], isCreatingMissing: true)
        let again = try await RegionKeyring.load(region: "eu-west-1", dataDirectory: directory, environment: [:])
        #expect(created.current.id == again.current.id)
        let path = directory.appendingPathComponent("keys/eu-west-1.kek").path
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}
