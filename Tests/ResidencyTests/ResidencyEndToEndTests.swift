import FalajCrypto
import Foundation
import PostgresClient
import Residency
import Tenancy
import TestSupport
import Testing

/// The issue's "done when", end to end: a UAE tenant's rows and blobs stay in me-central-1 and are encrypted, work in
/// eu-west-1 is refused, explained and audited, and erasing the tenant shreds its keys so its blobs can never be read.
@Suite struct ResidencyEndToEndTests {
    @Test func aUAETenantStaysInItsRegionIsRefusedAbroadAndCanBeErased() async throws {
        try await TenancyTestEnvironment.with { environment in
            let roots = Dictionary(uniqueKeysWithValues: TenancyTestEnvironment.regions.map { ($0.id, temporaryBlobRoot()) })
            defer { for root in roots.values { try? FileManager.default.removeItem(at: root) } }
            let stores: [String: any BlobStore] = roots.mapValues { FileBlobStore(root: $0) }
            let keys = TenantKeys(router: environment.router, keyrings: TenancyTestEnvironment.regions.map { RegionKeyring(region: $0.id, current: .generate()) })
            let blobs = TenantBlobs(keys: keys, stores: stores)

            let signUp = try await environment.services.signUp.signUp(
                SignUpForm(organisation: "Dubai Analytics", region: "me-central-1", email: "owner@dubai.example", password: "correct-horse-battery-staple-42")
            )
            let tenant = signUp.tenant.id
            let owner = try #require(try await environment.services.authenticator.session(signUp.session, requestID: "t", clientAddress: "127.0.0.1"))

            // Rows only in the home cell.
            let rowsAbroad = try await environment.asSuperuser(region: "eu-west-1") { try await $0.query("SELECT 1 FROM users WHERE tenant_id = \(tenant.rawValue)").count }
            #expect(rowsAbroad == 0)

            // Blobs only under the home region's store, and encrypted there.
            let plaintext = Array(String(repeating: "customer_id,churned\n42,true\n", count: 2_000).utf8)
            _ = try await blobs.put(tenant, name: "datasets/churn.csv", from: bytesSequence(plaintext))
            let homeFiles = try FileManager.default.subpathsOfDirectory(atPath: roots["me-central-1"]!.path).filter { $0.contains(tenant.description) && !$0.hasPrefix(".") }
            let abroadFiles = (try? FileManager.default.subpathsOfDirectory(atPath: roots["eu-west-1"]!.path)) ?? []
            #expect(!homeFiles.isEmpty)
            #expect(abroadFiles.allSatisfy { !$0.contains(tenant.description) })
            let stored = try Data(contentsOf: roots["me-central-1"]!.appendingPathComponent("tenants/\(tenant)/datasets/churn.csv"))
            #expect(stored.range(of: Data("customer_id,churned".utf8)) == nil, "stored bytes must be ciphertext")

            // Work in eu-west-1 is refused with the rule named, and the refusal is audited in the home cell.
            let policies = ResidencyPolicies(router: environment.router)
            let refusal = await #expect(throws: PlacementRefusal.self) {
                try await policies.check(
                    tenant: tenant, homeRegion: "me-central-1", tenantName: "Dubai Analytics", operation: .process, region: "eu-west-1",
                    actor: .user(owner.member.id), requestID: "req-eu", sourceIP: "127.0.0.1"
                )
            }
            #expect(refusal?.description.contains("eu-west-1") == true)
            let refusals = try await environment.router.withTenantTransaction(tenant) { connection in
                try await AuditLog.events(AuditFilter(actionPrefix: "residency.placement_refused"), on: connection)
            }
            #expect(refusals.count == 1 && refusals.first?.requestID == "req-eu" && refusals.first?.region == "me-central-1")

            // Erasure: rows deleted, keys shredded through the real key service, blobs unreadable, chain intact.
            _ = try await environment.services.dataSubjectRequests.requestTenantErasure(owner.context, confirmation: signUp.tenant.slug)
            let runner = DataSubjectRequestRunner(environment: environment.services.environment, shredder: keys, configuration: .init(interval: .milliseconds(10)))
            #expect(await runner.runOnce() == 1)
            let error = await #expect(throws: BlobStoreError.self) { try await blobs.get(tenant, name: "datasets/churn.csv") { _ in } }
            if case .erased(let message)? = error { #expect(message.contains("erased")) } else { Issue.record("expected erased, got \(String(describing: error))") }
            let users = try await environment.asSuperuser(region: "me-central-1") { try await $0.query("SELECT 1 FROM users WHERE tenant_id = \(tenant.rawValue)").count }
            #expect(users == 0)
            let wrapped = try await environment.asSuperuser(region: "me-central-1") { connection in
                try await connection.query("SELECT 1 FROM tenant_data_keys WHERE tenant_id = \(tenant.rawValue) AND wrapped_key IS NOT NULL").count
            }
            #expect(wrapped == 0)
            let verification = try await environment.router.withTenantTransaction(tenant) { try await AuditLog.verify(on: $0) }
            #expect(verification.isIntact)
            let actions = try await environment.router.withTenantTransaction(tenant) { connection in
                Set(try await AuditLog.events(AuditFilter(limit: 1000), on: connection).map(\.action))
            }
            #expect(actions.isSuperset(of: ["keys.created", "keys.shredded", "privacy.tenant_erased"]))
            #expect(try await environment.services.directory.tenant(tenant)?.status == "deleting")
        }
    }
}
