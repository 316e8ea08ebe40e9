import FalajCrypto
import Foundation
import Logging
import PostgresClient
import Residency
import Tenancy
import TestSupport
import Synchronization
import Testing

/// A shredder that remembers which tenants it shredded.
final class RecordingShredder: TenantKeyShredder {
    let shredded = Mutex<[TenantID]>([])
    func shred(_ tenant: TenantID) async throws { shredded.withLock { $0.append(tenant) } }
}

extension TenancyTestEnvironment {
    /// A runner over this environment with a recording shredder and optional fault injection.
    func privacyRunner(shredder: RecordingShredder = RecordingShredder(), batchSize: Int = 1000,
                       faults: DataSubjectRequestRunner.FaultInjection? = nil) -> DataSubjectRequestRunner {
        DataSubjectRequestRunner(
            environment: services.environment, shredder: shredder, configuration: .init(interval: .milliseconds(10), batchSize: batchSize), faults: faults
        )
    }
}

@Suite struct PrivacyExportTests {
    @Test func exportHoldsThePersonsDataOnlyIsSealedAndDownloadsOnce() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Export Co")
            let member = try await fixtures.member(of: owner, role: "admin", email: "ana.export@example.com")
            let other = try await fixtures.member(of: owner, role: "viewer", email: "bo.other@example.com")
            let stranger = try await fixtures.tenant("Elsewhere Ltd")
            _ = try await environment.services.apiKeys.create(member.context, name: "ana-laptop", permissions: ["data.read"], expiresInDays: nil)
            let requests = environment.services.dataSubjectRequests

            // A member may not export someone else; they may export themselves.
            await #expect(throws: TenancyError.self) { try await requests.requestExport(other.context, subject: member.context.actor.userID!) }
            await #expect(throws: TenancyError.self) { try await requests.requestExport(stranger.context, subject: member.context.actor.userID!) }
            let request = try await requests.requestExport(member.context, subject: member.context.actor.userID!)
            #expect(request.status == .queued)

            #expect(await environment.privacyRunner().runOnce() == 1)
            let listed = try await requests.list(member.context).first { $0.id == request.id }
            #expect(listed?.status == .done, "\(String(describing: listed?.error))")
            #expect(listed?.export?.isAvailable == true)

            // At rest the export is ciphertext.
            let raw = try await environment.asSuperuser(region: "eu-west-1") { connection in
                try await connection.query("SELECT sealed, expires_at - now() > interval '6 days' AS long FROM data_exports").first!
            }
            #expect(try raw["long", as: Bool.self])
            #expect(!String(decoding: try raw["sealed", as: [UInt8].self], as: UTF8.self).contains("ana.export"))

            // Another member without members.manage cannot download it; the requester can, once.
            await #expect(throws: TenancyError.self) { try await requests.downloadExport(other.context, id: request.id) }
            let json = try await requests.downloadExport(member.context, id: request.id)
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let export = try decoder.decode(PersonalDataExport.self, from: json)
            #expect(export.profile.email == "ana.export@example.com")
            #expect(export.membership?.role == "admin")
            #expect(export.apiKeys.map(\.name) == ["ana-laptop"])
            #expect(!export.sessions.isEmpty)
            #expect(export.auditEvents.allSatisfy { $0.actor.id == member.context.actor.userID!.uuidString.lowercased() })
            #expect(export.auditEvents.contains { $0.action == "privacy.export_requested" })
            let text = String(decoding: json, as: UTF8.self)
            #expect(!text.contains("bo.other") && !text.contains("bo-ci") && !text.contains(stranger.context.tenantID.description))
            #expect(!text.contains("password") && !text.contains("secret_hash"))
            await #expect(throws: TenancyError.self) { try await requests.downloadExport(member.context, id: request.id) }

            let actions = try await environment.router.withTenantTransaction(owner.context.tenantID) { connection in
                try await AuditLog.events(AuditFilter(actionPrefix: "privacy."), on: connection).map(\.action)
            }
            #expect(Set(actions) == ["privacy.export_requested", "privacy.export_ready", "privacy.export_downloaded"])
        }
    }

    @Test func anAdminExportsAMemberAndExpiredExportsAreDestroyed() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Expiry Co", region: "me-central-1")
            let member = try await fixtures.member(of: owner, role: "viewer")
            let requests = environment.services.dataSubjectRequests
            let request = try await requests.requestExport(owner.context, subject: member.context.actor.userID!)
            let runner = environment.privacyRunner()
            await runner.runOnce()
            let done = try await requests.list(owner.context).first { $0.id == request.id }
            #expect(done?.status == .done, "\(String(describing: done?.error))")
            try await environment.asSuperuser(region: "me-central-1") { connection in
                try await connection.execute("UPDATE data_exports SET expires_at = now() - interval '1 second'")
            }
            await runner.runOnce()
            let cleared = try await environment.asSuperuser(region: "me-central-1") { connection in
                try await connection.query("SELECT sealed IS NULL AND wrapped_key IS NULL AS cleared FROM data_exports").first?["cleared", as: Bool.self]
            }
            #expect(cleared == true)
            await #expect(throws: TenancyError.self) { try await requests.downloadExport(owner.context, id: request.id) }
            #expect(try await requests.list(owner.context).first?.export?.isAvailable == false)
        }
    }
}
