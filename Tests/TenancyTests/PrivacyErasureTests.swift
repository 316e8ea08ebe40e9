import Foundation
import PostgresClient
import Residency
import Synchronization
@testable import Tenancy
import TestSupport
import Testing

struct InjectedFault: Error {}

@Suite struct PrivacyErasureTests {
    @Test func erasedUserCannotSignInLosesSessionsAndKeysAndTheAuditChainHolds() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Erase Co")
            let member = try await fixtures.member(of: owner, role: "data_scientist", email: "cy.erase@example.com")
            let userID = member.context.actor.userID!
            let key = try await environment.services.apiKeys.create(member.context, name: "cy-key", permissions: ["data.read"], expiresInDays: nil)
            let requests = environment.services.dataSubjectRequests
            // Something the member did, in the audit trail under their pseudonymous id.
            try await environment.router.withTenantTransaction(owner.context.tenantID) { connection in
                try await AuditLog.record(AuditEvent(actor: .user(userID), action: "member.login"), tenant: owner.context.tenantID, on: connection)
            }

            // The last owner cannot be erased; a member without members.manage cannot erase anyone.
            await #expect(throws: TenancyError.self) { try await requests.requestErasure(owner.context, subject: owner.context.actor.userID!) }
            await #expect(throws: TenancyError.self) { try await requests.requestErasure(member.context, subject: userID) }
            let request = try await requests.requestErasure(owner.context, subject: userID)
            // Interrupted after the directory step; the next pass resumes and finishes.
            let failOnce = Mutex(true)
            let flaky = environment.privacyRunner { _, label in
                if label == "scrub", failOnce.withLock({ let first = $0; $0 = false; return first }) { throw InjectedFault() }
            }
            #expect(await flaky.runOnce() == 0)
            let interrupted = try await requests.list(owner.context).first { $0.id == request.id }!
            #expect(interrupted.status == .queued && interrupted.step == "routes_removed" && interrupted.error != nil)
            #expect(await flaky.runOnce() == 1)

            await #expect(throws: TenancyError.self) {
                try await environment.services.authenticator.login(email: "cy.erase@example.com", password: TenancyFixtures.password, clientAddress: "10.1.1.1", userAgent: "t")
            }
            #expect(try await environment.services.authenticator.session(member.token, requestID: "t", clientAddress: "x") == nil)
            #expect(try await environment.services.apiKeys.authenticate(key.secret, requestID: "t", clientAddress: "x") == nil)
            let row = try await environment.asSuperuser(region: "eu-west-1") { connection in
                try await connection.query(
                    """
                    SELECT u.email, u.display_name, u.mfa_secret IS NULL AS no_mfa,
                           (SELECT count(*) FROM sessions s WHERE s.user_id = u.id) + (SELECT count(*) FROM api_keys k WHERE k.user_id = u.id)
                           + (SELECT count(*) FROM memberships m WHERE m.user_id = u.id) AS left_over
                    FROM users u WHERE u.id = \(userID)
                    """
                )[0]
            }
            #expect(try row["email", as: String.self] == "erased-\(userID.uuidString.lowercased())@erased.invalid")
            #expect(try row["display_name", as: String.self] == "Erased user")
            #expect(try row["no_mfa", as: Bool.self] && row["left_over", as: Int.self] == 0)
            let routes = try await environment.asSuperuserInDirectory { connection in
                try await connection.query("SELECT count(*) AS n FROM api_key_routes WHERE prefix = \(key.summary.prefix)")[0]["n", as: Int.self]
            }
            #expect(routes == 0)
            let (intact, theirs, erased) = try await environment.router.withTenantTransaction(owner.context.tenantID) { connection in
                (
                    try await AuditLog.verify(on: connection).isIntact,
                    try await AuditLog.events(AuditFilter(actorID: userID.uuidString.lowercased()), on: connection).count,
                    try await AuditLog.events(AuditFilter(actionPrefix: "privacy.user_erased"), on: connection).count
                )
            }
            #expect(intact)
            #expect(theirs >= 1 && erased == 1, "the erased person's audit rows keep their pseudonymous id")
            // The owner still signs in; the erased person is no longer listed.
            #expect(try await environment.services.members.list(owner.context).map(\.id) == [owner.context.actor.userID!])
        }
    }

    @Test func tenantErasureIsInterruptedThenResumesToCompletion() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Doomed Org", region: "me-central-1")
            let keeper = try await fixtures.tenant("Keeper Org", region: "me-central-1")
            for index in 0..<3 { _ = try await fixtures.member(of: owner, role: "viewer", email: "doomed\(index)@example.com") }
            let requests = environment.services.dataSubjectRequests
            await #expect(throws: TenancyError.self) { try await requests.requestTenantErasure(owner.context, confirmation: "wrong") }
            let request = try await requests.requestTenantErasure(owner.context, confirmation: owner.context.tenant.slug)
            let tenant = owner.context.tenantID

            let shredder = RecordingShredder()
            let failures = Mutex(0)
            // Small batches so users are deleted over several transactions; the fault hits after the first batch.
            let flaky = environment.privacyRunner(shredder: shredder, batchSize: 2) { _, label in
                guard label == "delete_rows:users" else { return }
                try failures.withLock { count in
                    count += 1
                    if count == 2 { throw InjectedFault() }
                }
            }
            #expect(await flaky.runOnce() == 0)
            let (step, usersLeft) = try await environment.asSuperuser(region: "me-central-1") { connection in
                (
                    try await connection.query("SELECT step FROM data_subject_requests WHERE id = \(request.id)")[0]["step", as: String.self],
                    try await connection.query("SELECT count(*) AS n FROM users WHERE tenant_id = \(tenant.rawValue)")[0]["n", as: Int.self]
                )
            }
            #expect(step == "tombstoned")
            #expect(usersLeft == 2)
            #expect(shredder.shredded.withLock { $0 }.isEmpty)
            // Nobody can sign in while erasure is in progress.
            #expect(try await environment.services.directory.tenant(tenant)?.status == "deleting")

            #expect(await flaky.runOnce() == 1)
            #expect(shredder.shredded.withLock { $0 } == [tenant])
            let leftovers = try await environment.asSuperuser(region: "me-central-1") { connection in
                var counts: [String: Int] = [:]
                for table in ["users", "memberships", "sessions", "invitations", "outbox", "tenant_settings", "data_subject_requests", "audit_events"] {
                    counts[table] = try await connection.query(
                        PostgresQuery(unsafeSQL: "SELECT count(*) AS n FROM \(table) WHERE tenant_id = $1", bindings: { var b = PostgresBindings(); b.append(tenant.rawValue); return b }())
                    )[0]["n", as: Int.self]
                }
                return counts
            }
            #expect(leftovers.filter { $0.key != "audit_events" && $0.key != "data_subject_requests" }.values.allSatisfy { $0 == 0 })
            #expect(leftovers["data_subject_requests"] == 1)
            #expect((leftovers["audit_events"] ?? 0) > 0)
            let tombstone = try await environment.asSuperuserInDirectory { connection in
                try await connection.query(
                    """
                    SELECT display_name, status, erased_at IS NOT NULL AS erased, slug,
                           (SELECT count(*) FROM login_routes WHERE tenant_id = t.id) AS routes
                    FROM tenants t WHERE id = \(tenant.rawValue)
                    """
                )[0]
            }
            #expect(try tombstone["display_name", as: String.self] == "Erased organisation")
            #expect(try tombstone["status", as: String.self] == "deleting" && tombstone["erased", as: Bool.self])
            #expect(try tombstone["routes", as: Int.self] == 0 && tombstone["slug", as: String.self] == owner.context.tenant.slug)
            let (intact, erasedEvents) = try await environment.router.withTenantTransaction(tenant) { connection in
                (
                    try await AuditLog.verify(on: connection).isIntact,
                    try await AuditLog.events(AuditFilter(actionPrefix: "privacy.tenant_erased"), on: connection).count
                )
            }
            #expect(intact && erasedEvents == 1)
            // Running again changes nothing; the other tenant is untouched.
            #expect(await flaky.runOnce() == 0)
            #expect(try await environment.services.members.list(keeper.context).count == 1)
        }
    }

    @Test func everyTenantTableIsErasedOrDeliberatelyKept() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Schema Check")
            let tables = try await environment.privacyRunner().erasureTables(owner.context.tenantID)
            // A new tenant table must be placed in DataSubjectRequestRunner.erasureOrder (or keptTables) on purpose.
            #expect(tables == DataSubjectRequestRunner.erasureOrder + ["data_subject_requests"])
        }
    }
}
