import Foundation
import HTTPTypes
@testable import Portal
import PostgresClient
import Residency
import Tenancy
import Testing
import TestSupport
import WebServer

extension APITests {
    /// Each built-in role × every `/api/v1` route in the catalog: allowed or 403 exactly as the route's declared
    /// permission and ``BuiltInRole/permissions`` say. Each member's key was created with every permission while they
    /// were an owner and they were then given the role, so the key's effective scope is exactly the role's.
    @Test func permissionMatrixFollowsTheSinglePermissionTable() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Matrix", plan: "enterprise")
            var keys: [BuiltInRole: String] = [.owner: a.key]
            for role in BuiltInRole.allCases where role != .owner {
                let email = "\(role.rawValue.replacingOccurrences(of: "_", with: "-"))@matrix.example"
                let member = try await APIFixtures.member(server, a.owner, email: email, role: "owner")
                keys[role] = try await APIFixtures.key(server, member, permissions: Permission.allCases)
                try await server.tenancy.members.changeRole(a.owner, member: try #require(member.actor.userID), to: role.rawValue)
            }
            let browser = server.browser()
            let routes = server.catalog.all.filter { $0.pattern.hasPrefix("/api/v1/") }
            #expect(routes.count >= 20)
            for role in BuiltInRole.allCases {
                let me = APIFixtures.json(try await browser.api("GET", "/api/v1/me", bearer: keys[role]))
                if role.permissions.contains(.tenantRead) {
                    #expect(Set(me["permissions"] as? [String] ?? []) == Set(role.permissions.map(\.rawValue)), "\(role) key scope")
                }
                for entry in routes {
                    let body = APIFixtures.sampleBody(entry.documentation?.requestSchema)
                    let response = try await browser.api(entry.method.rawValue, APIFixtures.path(entry.pattern), json: body, bearer: keys[role])
                    let isAllowed = switch entry.access {
                    case .permission(let permission): role.permissions.contains(permission) && entry.documentation?.isMemberSessionOnly != true
                    case .anyone, .open: true
                    case .signedIn, .platformOperator, .agentEnrolment, .agent, .jobToken: false
                    }
                    let label = "\(role.rawValue): \(entry.method.rawValue) \(entry.pattern) → \(response.statusCode) \(response.bodyText.prefix(200))"
                    if isAllowed {
                        #expect(response.statusCode != 401 && response.statusCode != 403 && response.statusCode < 500, "\(label)")
                    } else {
                        #expect(response.statusCode == 403, "\(label)")
                        #expect(response.header("Content-Type") == "application/problem+json")
                    }
                }
            }
        }
    }

    @Test func keyScopeLimitsWhatItCanDo() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Scope")
            let browser = server.browser()
            let readOnly = try await APIFixtures.key(server, a.owner, permissions: [.membersRead])
            #expect(try await browser.api("GET", "/api/v1/members", bearer: readOnly).statusCode == 200)
            let invite = try await browser.api("POST", "/api/v1/invitations", json: #"{"email":"x@scope.example","role":"viewer"}"#, bearer: readOnly)
            #expect(invite.statusCode == 403)
            #expect(invite.bodyText.contains("members.manage"))
            #expect(try await server.tenancy.members.pendingInvitations(a.owner).isEmpty)

            // A key can never be created with a permission its creator lacks.
            let viewer = try await APIFixtures.member(server, a.owner, email: "viewer@scope.example", role: "data_scientist")
            await #expect(throws: TenancyError.self) {
                _ = try await server.tenancy.apiKeys.create(viewer, name: "too much", permissions: ["members.manage"], expiresInDays: nil)
            }
            do {
                _ = try await server.tenancy.apiKeys.create(viewer, name: "too much", permissions: ["members.manage"], expiresInDays: nil)
            } catch let error as TenancyError {
                #expect(error.status.code == 422 && error.fieldErrors["permissions"] != nil)
            }
            // Over the API, a key cannot mint keys at all.
            let mint = try await browser.api("POST", "/api/v1/api-keys", json: #"{"name":"child","permissions":["tenant.read"]}"#, bearer: a.key)
            #expect(mint.statusCode == 403)
        }
    }

    @Test func revokedExpiredAndSuspendedKeysStopWorking() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Lifecycle")
            let browser = server.browser()
            let revoked = try await server.tenancy.apiKeys.create(a.owner, name: "revoked", permissions: ["tenant.read"], expiresInDays: nil)
            #expect(try await browser.api("GET", "/api/v1/me", bearer: revoked.secret).statusCode == 200)
            #expect(try await browser.api("DELETE", "/api/v1/api-keys/\(revoked.summary.id)", bearer: a.key).statusCode == 204)
            let afterRevoke = try await browser.api("GET", "/api/v1/me", bearer: revoked.secret)
            #expect(afterRevoke.statusCode == 401 && afterRevoke.header("WWW-Authenticate") != nil)

            let expired = try await server.tenancy.apiKeys.create(a.owner, name: "expired", permissions: ["tenant.read"], expiresInDays: 1)
            _ = try await server.environment.asSuperuser(region: a.tenant.homeRegion) { connection in
                try await connection.execute("UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE prefix = \(expired.summary.prefix)")
            }
            #expect(try await browser.api("GET", "/api/v1/me", bearer: expired.secret).statusCode == 401)
            #expect(try await browser.api("GET", "/api/v1/me", bearer: "falaj_nope").statusCode == 401)
            #expect(try await browser.api("GET", "/api/v1/me", bearer: nil).statusCode == 401)

            try await server.tenancy.operators.ensureOperator(email: "ops@falaj.example", displayName: "Ops", password: APIFixtures.password)
            let token = try await server.tenancy.operators.login(email: "ops@falaj.example", password: APIFixtures.password, clientAddress: "127.0.0.1")
            let operatorSession = try #require(try await server.tenancy.operators.session(token))
            try await server.tenancy.operators.suspend(operatorSession, tenant: a.tenant.id)
            let suspended = try await browser.api("GET", "/api/v1/me", bearer: a.key)
            #expect(suspended.statusCode == 403)
            #expect(suspended.header("Content-Type") == "application/problem+json")
            #expect(suspended.bodyText.contains("suspended"))
        }
    }
}
