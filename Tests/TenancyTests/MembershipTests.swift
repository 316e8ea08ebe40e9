import FalajCrypto
import Foundation
import PostgresClient
import Residency
import Tenancy
import TestSupport
import Testing

@Suite struct MembershipTests {
    @Test func invitationIsSingleUseAndExpires() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Invites Ltd")
            let members = environment.services.members
            let invite = try await members.invite(owner.context, email: "New.Person@Example.com", roleKey: "data_scientist", baseURL: "http://x")
            #expect(invite.invitation.email == "new.person@example.com")
            let preview = try await members.preview(invite.token)
            #expect(preview.roleName == "Data scientist")
            _ = try await members.accept(invite.token, displayName: "New Person", password: TenancyFixtures.password)
            await #expect(throws: TenancyError.self) { try await members.accept(invite.token, displayName: "Again", password: TenancyFixtures.password) }
            // The outbox holds the link for delivery.
            let outbox = try await environment.asSuperuser(region: "eu-west-1") { connection in
                try await connection.query("SELECT body FROM outbox WHERE recipient = 'new.person@example.com'").map { try $0["body", as: String.self] }
            }
            #expect(outbox.count == 1 && outbox[0].contains("/invitations/\(invite.token)"))

            let expiring = try await members.invite(owner.context, email: "late@example.com", roleKey: "viewer", baseURL: "http://x")
            try await environment.asSuperuser(region: "eu-west-1") { connection in
                try await connection.execute("UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE email = 'late@example.com'")
            }
            let expired = await #expect(throws: TenancyError.self) { try await members.accept(expiring.token, displayName: "Late", password: TenancyFixtures.password) }
            if case .notFound? = expired {} else { Issue.record("expired invitation: \(String(describing: expired))") }
            // A tampered token (right tenant, wrong secret) is refused the same way.
            let forged = TenantToken("\(owner.context.tenantID).\(String(repeating: "A", count: 43))")!
            await #expect(throws: TenancyError.notFound("This invitation link is not valid any more: it was used, withdrawn or has expired. Ask for a new one.")) {
                try await members.preview(forged)
            }
        }
    }

    @Test func onlyAllowedDomainsCanBeInvitedAndNobodyGrantsMoreThanTheyHave() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Domains Ltd")
            var settings = try await environment.services.security.get(owner.context)
            settings.allowedEmailDomains = ["Example.com "]
            settings = try await environment.services.security.update(owner.context, settings)
            #expect(settings.allowedEmailDomains == ["example.com"])
            await #expect(throws: TenancyError.self) {
                try await environment.services.members.invite(owner.context, email: "x@other.org", roleKey: "viewer", baseURL: "http://x")
            }
            let admin = try await fixtures.member(of: owner, role: "admin")
            let ownerGrant = await #expect(throws: TenancyError.self) {
                try await environment.services.members.invite(admin.context, email: "boss@example.com", roleKey: "owner", baseURL: "http://x")
            }
            if case .forbidden? = ownerGrant {} else { Issue.record("admin granting owner: \(String(describing: ownerGrant))") }
            let viewer = try await fixtures.member(of: owner, role: "viewer")
            await #expect(throws: TenancyError.self) {
                try await environment.services.members.invite(viewer.context, email: "friend@example.com", roleKey: "viewer", baseURL: "http://x")
            }
        }
    }

    @Test func theLastOwnerCannotBeDemotedOrRemoved() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Owners Inc")
            let members = environment.services.members
            await #expect(throws: TenancyError.self) { try await members.changeRole(owner.context, member: owner.member.id, to: "admin") }
            await #expect(throws: TenancyError.self) { try await members.remove(owner.context, member: owner.member.id) }
            let second = try await fixtures.member(of: owner, role: "admin")
            // An admin cannot touch an owner.
            await #expect(throws: TenancyError.self) { try await members.changeRole(second.context, member: owner.member.id, to: "viewer") }
            try await members.changeRole(owner.context, member: second.member.id, to: "owner")
            // The role change ended the promoted member's sessions (fresh ids at privilege change).
            #expect(try await environment.services.authenticator.session(second.token, requestID: "t", clientAddress: "x") == nil)
            try await members.changeRole(owner.context, member: owner.member.id, to: "admin")
            let list = try await members.list(owner.context)
            #expect(list.filter { $0.role.isOwner }.map(\.id) == [second.member.id])
            // Concurrent demotions of the two owners: at most one succeeds.
            let third = try await fixtures.member(of: owner, role: "viewer")
            let relogin = try await environment.services.authenticator.login(email: second.member.email, password: TenancyFixtures.password, clientAddress: "9", userAgent: "")
            let newOwner = try await fixtures.session(relogin.token)
            try await members.changeRole(newOwner.context, member: third.member.id, to: "owner")
            async let a: Void = members.changeRole(newOwner.context, member: newOwner.member.id, to: "viewer")
            async let b: Void = members.changeRole(newOwner.context, member: third.member.id, to: "viewer")
            var successes = 0
            do { try await a; successes += 1 } catch {}
            do { try await b; successes += 1 } catch {}
            #expect(successes <= 1)
            let owners = try await environment.asSuperuser(region: "eu-west-1") { connection in
                try await connection.query("SELECT count(*) AS n FROM memberships WHERE role = 'owner' AND tenant_id = \(owner.context.tenantID.rawValue)")[0]["n", as: Int.self]
            }
            #expect(owners >= 1)
        }
    }

    @Test func removingAMemberEndsTheirAccessAndLoginRoute() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Leavers Ltd")
            let leaver = try await fixtures.member(of: owner, role: "ml_engineer")
            let key = try await environment.services.apiKeys.create(leaver.context, name: "k", permissions: ["models.read"], expiresInDays: 1)
            try await environment.services.members.remove(owner.context, member: leaver.member.id)
            #expect(try await environment.services.authenticator.session(leaver.token, requestID: "t", clientAddress: "x") == nil)
            #expect(try await environment.services.apiKeys.authenticate(key.secret, requestID: "t", clientAddress: "x") == nil)
            await #expect(throws: TenancyError.unauthenticated(Authenticator.genericFailure)) {
                try await environment.services.authenticator.login(email: leaver.member.email, password: TenancyFixtures.password, clientAddress: "8", userAgent: "")
            }
        }
    }

    @Test func customRolesNeedTheEnterprisePlanAndGrantOnlyTheirPermissions() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let small = try await fixtures.tenant("Small Shop")
            await #expect(throws: TenancyError.self) { try await environment.services.roles.create(small.context, name: "Steward", permissions: ["data.read"]) }
            let big = try await fixtures.tenant("Big Corp", plan: "enterprise")
            let role = try await environment.services.roles.create(big.context, name: "Data Steward", permissions: ["data.read", "data.write", "tenant.read", "keys.manage"])
            #expect(role.key == "custom-data-steward")
            await #expect(throws: TenancyError.self) { try await environment.services.roles.create(big.context, name: "Data Steward", permissions: ["data.read"]) }
            await #expect(throws: TenancyError.self) { try await environment.services.roles.create(big.context, name: "Bad", permissions: ["root.everything"]) }
            let steward = try await fixtures.member(of: big, role: role.key)
            #expect(steward.context.permissions == [.dataRead, .dataWrite, .tenantRead, .keysManage])
            // An API key of a member with a custom role gets the role's permissions (intersected with the key's).
            let key = try await environment.services.apiKeys.create(steward.context, name: "steward job", permissions: ["data.read", "data.write"], expiresInDays: 30)
            let keyed = try #require(try await environment.services.apiKeys.authenticate(key.secret, requestID: "t", clientAddress: "x"))
            #expect(keyed.permissions == [.dataRead, .dataWrite] && keyed.role.key == role.key && keyed.role.displayName == "Data Steward")
            await #expect(throws: TenancyError.self) { try await environment.services.roles.delete(big.context, key: role.key) }
            try await environment.services.members.changeRole(big.context, member: steward.member.id, to: "viewer")
            let demoted = try #require(try await environment.services.apiKeys.authenticate(key.secret, requestID: "t", clientAddress: "x"))
            #expect(demoted.permissions == [.dataRead], "a role change shrinks the key at once")
            try await environment.services.roles.delete(big.context, key: role.key)
        }
    }
}
