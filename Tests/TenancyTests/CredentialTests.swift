import FalajCrypto
import Foundation
import PostgresClient
import Residency
import Tenancy
import TestSupport
import Testing

@Suite struct CredentialTests {
    @Test func apiKeysCarryASubsetOfTheCreatorsPermissionsAndCanBeRevoked() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Keys Ltd")
            let scientist = try await fixtures.member(of: owner, role: "data_scientist")
            let keys = environment.services.apiKeys
            let tooMuch = await #expect(throws: TenancyError.self) {
                try await keys.create(scientist.context, name: "deploy", permissions: ["deployments.write"], expiresInDays: 30)
            }
            if case .invalidFields(let fields)? = tooMuch { #expect(fields["permissions"]?.contains("deployments.write") == true) } else { Issue.record("\(String(describing: tooMuch))") }
            let key = try await keys.create(scientist.context, name: "training", permissions: ["models.read", "models.write"], expiresInDays: 30)
            #expect(key.secret.hasPrefix("falaj_\(key.summary.prefix)_"))
            let context = try #require(try await keys.authenticate(key.secret, requestID: "t", clientAddress: "x"))
            #expect(context.permissions == [.modelsRead, .modelsWrite])
            #expect(context.actor == .apiKey(id: key.summary.id, user: scientist.member.id))
            // Only the hash is stored.
            let stored = try await environment.asSuperuser(region: "eu-west-1") { connection in
                try await connection.query("SELECT secret_hash FROM api_keys WHERE id = \(key.summary.id)")[0]["secret_hash", as: [UInt8].self]
            }
            #expect(stored.count == 32 && !Hex.encode(stored).isEmpty)
            // Wrong secret with the right prefix, garbage, another prefix: all nil.
            for bad in ["falaj_\(key.summary.prefix)_" + String(repeating: "x", count: 43), "Bearer", "falaj__", "falaj_zzzzzzzzzzzz_abc", String(repeating: "a", count: 500)] {
                #expect(try await keys.authenticate(bad, requestID: "t", clientAddress: "x") == nil)
            }
            // A demotion shrinks the key at once.
            try await environment.services.members.changeRole(owner.context, member: scientist.member.id, to: "viewer")
            #expect(try await keys.authenticate(key.secret, requestID: "t", clientAddress: "x")?.permissions == [.modelsRead])
            try await keys.revoke(owner.context, id: key.summary.id)
            #expect(try await keys.authenticate(key.secret, requestID: "t", clientAddress: "x") == nil)
            // Expired keys stop working.
            let short = try await keys.create(owner.context, name: "short", permissions: ["tenant.read"], expiresInDays: 1)
            try await environment.asSuperuser(region: "eu-west-1") { connection in
                try await connection.execute("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = \(short.summary.id)")
            }
            #expect(try await keys.authenticate(short.secret, requestID: "t", clientAddress: "x") == nil)
            // An API key cannot mint API keys.
            let minter = try await keys.create(owner.context, name: "minter", permissions: ["keys.manage"], expiresInDays: 1)
            let minterContext = try #require(try await keys.authenticate(minter.secret, requestID: "t", clientAddress: "x"))
            await #expect(throws: TenancyError.self) { try await keys.create(minterContext, name: "child", permissions: ["keys.manage"], expiresInDays: 1) }
        }
    }

    @Test func totpEnrolmentChallengeReplayAndRecoveryCodes() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("MFA Ltd")
            let mfa = environment.services.multiFactor
            let enrolment = try await mfa.beginEnrolment(owner)
            #expect(enrolment.uri.hasPrefix("otpauth://totp/Falaj:"))
            let totp = TOTP(secret: try Base32.decode(enrolment.secret))
            await #expect(throws: TenancyError.self) { try await mfa.confirmEnrolment(owner, code: "000000") }
            let confirmed = try await mfa.confirmEnrolment(owner, code: totp.code(at: Date()))
            #expect(confirmed.recoveryCodes.count == MultiFactor.recoveryCodeCount)
            #expect(try await environment.services.authenticator.session(owner.token, requestID: "t", clientAddress: "x") == nil, "token rotated")
            // The secret is sealed at rest.
            let sealed = try await environment.asSuperuser(region: "eu-west-1") { connection in
                try await connection.query("SELECT mfa_secret FROM users WHERE id = \(owner.member.id)")[0]["mfa_secret", as: [UInt8].self]
            }
            #expect(sealed.count == 12 + 20 + 16)

            // A new login owes the second factor.
            let login = try await environment.services.authenticator.login(email: owner.member.email, password: TenancyFixtures.password, clientAddress: "1", userAgent: "")
            #expect(login.isMFAPending)
            let pending = try await fixtures.session(login.token)
            #expect(!pending.isMFAVerified)
            // The code of the step already used at enrolment is refused (no replay); the next step's works.
            await #expect(throws: TenancyError.self) { try await mfa.verify(pending, code: totp.code(at: Date())) }
            let next = totp.code(at: Date().addingTimeInterval(30))
            let verifiedToken = try await mfa.verify(pending, code: next)
            #expect(try await fixtures.session(verifiedToken).isMFAVerified)
            #expect(try await environment.services.authenticator.session(login.token, requestID: "t", clientAddress: "x") == nil)

            // A recovery code works once, in any case and with or without the dash.
            let again = try await environment.services.authenticator.login(email: owner.member.email, password: TenancyFixtures.password, clientAddress: "1", userAgent: "")
            let code = confirmed.recoveryCodes[0]
            _ = try await mfa.verify(try await fixtures.session(again.token), code: code.uppercased())
            let third = try await environment.services.authenticator.login(email: owner.member.email, password: TenancyFixtures.password, clientAddress: "1", userAgent: "")
            await #expect(throws: TenancyError.self) { try await mfa.verify(try await fixtures.session(third.token), code: code.replacingOccurrences(of: "-", with: "")) }
        }
    }

    @Test func tenantPolicyRequiresMFAForAdminsOnly() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Policy Ltd")
            let viewer = try await fixtures.member(of: owner, role: "viewer")
            var settings = try await environment.services.security.get(owner.context)
            settings.requireMFAForAdmins = true
            _ = try await environment.services.security.update(owner.context, settings)
            #expect(try await fixtures.session(owner.token).mustEnrolMFA)
            #expect(try await !fixtures.session(viewer.token).mustEnrolMFA)
            try await environment.services.members.setMFARequired(owner.context, member: viewer.member.id, isRequired: true)
            #expect(try await fixtures.session(viewer.token).mustEnrolMFA)
            await #expect(throws: TenancyError.self) {
                var bad = settings
                bad.sessionIdleMinutes = 0
                _ = try await environment.services.security.update(owner.context, bad)
            }
        }
    }
}
