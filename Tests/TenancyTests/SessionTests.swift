import FalajCrypto
import Foundation
import PostgresClient
import Residency
import Tenancy
import TestSupport
import Testing

@Suite struct SessionTests {
    @Test func loginOpensAFreshSessionAndLogoutEndsIt() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Sessions Ltd")
            let first = try await environment.services.authenticator.login(email: owner.member.email, password: TenancyFixtures.password, clientAddress: "1.1.1.1", userAgent: "a")
            let second = try await environment.services.authenticator.login(email: owner.member.email.uppercased(), password: TenancyFixtures.password, clientAddress: "1.1.1.1", userAgent: "b")
            #expect(first.token != second.token, "every login gets a new session id")
            #expect(first.token.tenant == owner.context.tenantID)
            _ = try await fixtures.session(first.token)
            try await environment.services.authenticator.logout(first.token, email: owner.member.email)
            #expect(try await environment.services.authenticator.session(first.token, requestID: "t", clientAddress: "x") == nil)
            #expect(try await environment.services.authenticator.session(second.token, requestID: "t", clientAddress: "x") != nil)
            // Only the hash is stored.
            let stored = try await environment.asSuperuser(region: "eu-west-1") { connection in
                try await connection.query("SELECT token_hash FROM sessions").map { try $0["token_hash", as: [UInt8].self] }
            }
            #expect(!stored.contains(Array(second.token.description.utf8)))
            #expect(stored.allSatisfy { $0.count == 32 })
        }
    }

    @Test func idleAndAbsoluteExpiryEndSessions() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Expiry Co")
            let idle = try await environment.services.authenticator.login(email: owner.member.email, password: TenancyFixtures.password, clientAddress: "1", userAgent: "")
            let absolute = try await environment.services.authenticator.login(email: owner.member.email, password: TenancyFixtures.password, clientAddress: "1", userAgent: "")
            try await environment.asSuperuser(region: "eu-west-1") { connection in
                try await connection.execute("UPDATE sessions SET last_seen_at = now() - interval '9 hours' WHERE token_hash = \(SHA256.hash(Array(idle.token.description.split(separator: ".")[1].utf8)))")
                try await connection.execute("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token_hash = \(SHA256.hash(Array(absolute.token.description.split(separator: ".")[1].utf8)))")
            }
            #expect(try await environment.services.authenticator.session(idle.token, requestID: "t", clientAddress: "x") == nil, "idle 9 h > 8 h default")
            #expect(try await environment.services.authenticator.session(absolute.token, requestID: "t", clientAddress: "x") == nil)
            _ = try await fixtures.session(owner.token)
        }
    }

    @Test func logoutEverywhereEndsEverySessionOfTheMember() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Everywhere Inc")
            let other = try await environment.services.authenticator.login(email: owner.member.email, password: TenancyFixtures.password, clientAddress: "2", userAgent: "")
            try await environment.services.authenticator.logoutEverywhere(owner)
            #expect(try await environment.services.authenticator.session(other.token, requestID: "t", clientAddress: "x") == nil)
            #expect(try await environment.services.authenticator.session(owner.token, requestID: "t", clientAddress: "x") == nil)
        }
    }

    @Test func wrongPasswordAndUnknownAccountGetTheSameGenericError() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Generic Errors")
            for email in [owner.member.email, "nobody-\(UUID())@example.com"] {
                var error: TenancyError?
                do {
                    _ = try await environment.services.authenticator.login(email: email, password: "wrong-password-123", clientAddress: "3.3.3.\(email.count)", userAgent: "")
                } catch let caught as TenancyError { error = caught } catch { Issue.record("\(String(reflecting: error))") }
                #expect(error == .unauthenticated(Authenticator.genericFailure))
            }
        }
    }

    @Test func repeatedFailuresSlowDownThenLockTheAccount() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Lockout Ltd")
            let login = { (password: String) in
                try await environment.services.authenticator.login(email: owner.member.email, password: password, clientAddress: "4.4.4.4", userAgent: "")
            }
            for _ in 0..<3 { await #expect(throws: TenancyError.unauthenticated(Authenticator.genericFailure)) { try await login("wrong-password-1") } }
            // The fourth attempt comes too soon: even the right password waits.
            let throttled = await #expect(throws: TenancyError.self) { try await login(TenancyFixtures.password) }
            guard case .throttled(_, let wait)? = throttled else { Issue.record("expected throttling, got \(String(describing: throttled))"); return }
            #expect(wait >= 1)
            // Age the counter past each delay until the lock threshold.
            for _ in 3..<10 {
                try await environment.asSuperuserInDirectory { try await $0.execute("UPDATE login_throttle SET blocked_until = now()") }
                _ = await #expect(throws: TenancyError.self) { try await login("wrong-password-1") }
            }
            let locked = await #expect(throws: TenancyError.self) { try await login(TenancyFixtures.password) }
            guard case .throttled(let message, let seconds)? = locked else { Issue.record("expected a lock-out"); return }
            #expect(message.contains("locked"))
            #expect(seconds > 60)
            // An unknown account is throttled the same way (no existence oracle).
            let unknown = "ghost-\(UUID())@example.com"
            for _ in 0..<3 {
                _ = await #expect(throws: TenancyError.self) {
                    try await environment.services.authenticator.login(email: unknown, password: "whatever-pass", clientAddress: "5.5.5.5", userAgent: "")
                }
            }
            let ghost = await #expect(throws: TenancyError.self) {
                try await environment.services.authenticator.login(email: unknown, password: "whatever-pass", clientAddress: "5.5.5.5", userAgent: "")
            }
            if case .throttled? = ghost {} else { Issue.record("unknown accounts must be throttled too: \(String(describing: ghost))") }
            // After the lock expires, the right password works and clears the counter.
            try await environment.asSuperuserInDirectory { try await $0.execute("UPDATE login_throttle SET blocked_until = now()") }
            _ = try await login(TenancyFixtures.password)
        }
    }

    @Test func suspendedTenantStopsSessionsAndKeysAtOnceAndReactivationRestoresThem() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Suspend Me")
            let viewer = try await fixtures.member(of: owner, role: "viewer")
            let key = try await environment.services.apiKeys.create(owner.context, name: "ci", permissions: ["members.read"], expiresInDays: nil)
            let operatorSession = try await fixtures.operatorSession()
            try await environment.services.operators.suspend(operatorSession, tenant: owner.context.tenantID)
            for token in [owner.token, viewer.token] {
                await #expect(throws: TenancyError.self) { try await environment.services.authenticator.session(token, requestID: "t", clientAddress: "x") }
            }
            await #expect(throws: TenancyError.self) { try await environment.services.apiKeys.authenticate(key.secret, requestID: "t", clientAddress: "x") }
            let refused = await #expect(throws: TenancyError.self) {
                try await environment.services.authenticator.login(email: viewer.member.email, password: TenancyFixtures.password, clientAddress: "6", userAgent: "")
            }
            if case .tenantUnavailable? = refused {} else { Issue.record("login into a suspended tenant: \(String(describing: refused))") }
            let listed = try await environment.services.operators.tenants(operatorSession).first { $0.tenant.id == owner.context.tenantID }
            #expect(listed?.tenant.status == "suspended")
            #expect(listed?.memberCount == 2)
            try await environment.services.operators.reactivate(operatorSession, tenant: owner.context.tenantID)
            _ = try await fixtures.session(owner.token)
            #expect(try await environment.services.apiKeys.authenticate(key.secret, requestID: "t", clientAddress: "x") != nil)
        }
    }

    @Test func switchingTenantsWorksOnlyWhereTheSignInReached() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let first = try await fixtures.tenant("First Org", region: "eu-west-1")
            let second = try await fixtures.tenant("Second Org", region: "me-central-1")
            let stranger = try await fixtures.tenant("Stranger Org")
            // The first tenant's owner is invited into the second tenant with the same e-mail and password.
            _ = try await fixtures.member(of: second, role: "admin", email: first.member.email)
            let login = try await environment.services.authenticator.login(email: first.member.email, password: TenancyFixtures.password, clientAddress: "7", userAgent: "")
            let session = try await fixtures.session(login.token)
            let switchable = try await environment.services.authenticator.switchableTenants(session)
            #expect(Set(switchable.map(\.id)) == [first.context.tenantID, second.context.tenantID])
            let switched = try await environment.services.authenticator.switchTenant(session, to: second.context.tenantID, requestID: "t")
            let there = try await fixtures.session(switched)
            #expect(there.context.tenantID == second.context.tenantID)
            #expect(there.context.role.key == "admin")
            #expect(there.context.region == "me-central-1")
            await #expect(throws: TenancyError.self) {
                try await environment.services.authenticator.switchTenant(session, to: stranger.context.tenantID, requestID: "t")
            }
        }
    }
}
