import Foundation
import HTTPTypes
@testable import Portal
import PostgresClient
import Residency
import Tenancy
import Testing
import TestSupport
import WebServer

/// Tenant B's data as its owner sees it, to prove that calls made with tenant A's key changed nothing.
private struct TenantSnapshot: Equatable {
    var members: [Member]
    var invitations: [PendingInvitation]
    var roles: [Role]
    var keys: [APIKeySummary]
    var settings: SecuritySettings

    init(_ server: PortalTestServer, _ owner: RequestContext) async throws {
        members = try await server.tenancy.members.list(owner)
        invitations = try await server.tenancy.members.pendingInvitations(owner)
        roles = try await server.tenancy.roles.list(owner)
        keys = try await server.tenancy.apiKeys.list(owner)
        settings = try await server.tenancy.security.get(owner)
    }
}

extension APITests {
    @Test func anotherTenantsIdsAreNotFoundAndUntouched() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Alpha", plan: "enterprise")
            let b = try await APIFixtures.tenant(server, name: "Bravo", plan: "enterprise")
            let bMember = try await APIFixtures.member(server, b.owner, email: "scientist@bravo.example", role: "data_scientist")
            let bInvitation = try await server.tenancy.members.invite(b.owner, email: "pending@bravo.example", roleKey: "viewer", baseURL: "http://test")
            let bRole = try await server.tenancy.roles.create(b.owner, name: "Data steward", permissions: ["data.read"])
            let bKey = try await server.tenancy.apiKeys.create(bMember, name: "bravo pipeline", permissions: ["data.read"], expiresInDays: 30)
            let bExport = try await server.tenancy.dataSubjectRequests.requestExport(b.owner, subject: try #require(b.owner.actor.userID))
            // B's compute objects: a queued job, a join token and the dedicated node it enrolled.
            let bJob = try #require(APIFixtures.json(try await server.browser().api("POST", "/api/v1/jobs", json: JobsAPITests.commandJob(), bearer: b.key))["id"] as? String)
            let bToken = APIFixtures.json(try await server.browser().api("POST", "/api/v1/join-tokens", json: #"{"region":"eu-west-1","max_uses":2}"#, bearer: b.key))
            let bNode = try await TestAgent.enrol(server.browser(), token: try #require(bToken["token"] as? String)).id.uuidString.lowercased()
            let bTokenID = try #require((bToken["join_token"] as? [String: Any])?["id"] as? String).lowercased()
            // B's project `bravo-secret` with dataset `ledger` at version 1 (A has none of that name).
            _ = try await server.browser().api("POST", "/api/v1/projects", json: #"{"name":"Secret","slug":"bravo-secret"}"#, bearer: b.key)
            _ = try await server.browser().api("POST", "/api/v1/projects/bravo-secret/datasets", json: #"{"name":"ledger"}"#, bearer: b.key)
            let bVersion = try await server.browser().request(
                "POST", "/api/v1/projects/bravo-secret/datasets/ledger/versions",
                headers: [("Authorization", "Bearer \(b.key)"), ("Content-Type", "text/csv")], body: Array("account,balance\nbravo-acct,10\n".utf8)
            )
            #expect(bVersion.statusCode == 201, "\(bVersion.bodyText)")
            let bGroup = try await FeaturesAPITests.define(server.browser(), key: b.key, project: "bravo-secret")
            _ = try await FeaturesAPITests.push(server.browser(), key: b.key, group: bGroup, #"[{"customer_id":"bravo-cust","event_time":"2026-01-01T00:00:00Z","age":7}]"#)
            let bService = try await server.browser().api(
                "PUT", "/api/v1/projects/bravo-secret/feature-services/bravo-svc", json: #"{"features":["customer_stats:age"]}"#, bearer: b.key
            )
            #expect(bService.statusCode == 200, "\(bService.bodyText)")
            // B's deployment `bravo-api` (no variants needed to be found).
            try await server.environment.router.withTenantTransaction(b.owner.tenantID) { connection in
                try await connection.execute(
                    """
                    INSERT INTO deployments (tenant_id, id, project_id, name, created_by)
                    SELECT \(b.owner.tenantID.rawValue), \(UUID()), id, 'bravo-api', 'system' FROM projects WHERE slug = 'bravo-secret'
                    """
                )
            }
            let before = try await TenantSnapshot(server, b.owner)
            let bMemberID = try #require(bMember.actor.userID)
            let bOwnerID = try #require(b.owner.actor.userID)
            let secrets = [b.ownerEmail, "scientist@bravo.example", "pending@bravo.example", bMemberID.uuidString.lowercased(), "bravo-acct", "bravo-cust",
                bInvitation.invitation.id.uuidString.lowercased(), bKey.summary.id.uuidString.lowercased(), bKey.summary.prefix]

            // Every route that takes an id, with each of B's ids for its area.
            let ids: [String: [[String: String]]] = [
                "/api/v1/members": [["id": bMemberID.uuidString.lowercased()], ["id": bOwnerID.uuidString]],
                "/api/v1/invitations": [["id": bInvitation.invitation.id.uuidString.lowercased()]],
                "/api/v1/api-keys": [["id": bKey.summary.id.uuidString.lowercased()]],
                "/api/v1/roles": [["key": bRole.key]],
                "/api/v1/privacy/exports": [["id": bExport.id.uuidString.lowercased()]],
                "/api/v1/jobs": [["id": bJob.lowercased()]],
                "/api/v1/nodes": [["id": bNode]],
                "/api/v1/join-tokens": [["id": bTokenID]],
                "/api/v1/projects": [["project": "bravo-secret", "dataset": "ledger", "version": "1", "group": "customer_stats", "service": "bravo-svc"]],
                "/api/v1/feature-groups": [["id": bGroup]],
                "/api/v1/deployments": [["deployment": "bravo-api"]],
            ]
            let bodies = [
                "/api/v1/members/:id": #"{"role":"viewer"}"#, "/api/v1/members/:id/mfa-requirement": #"{"required":true}"#,
                "/api/v1/projects/:project/runs": #"{"dataset":"ledger","training":{"target":"amount"}}"#,
            ]
            let browser = server.browser()
            var called = 0
            for entry in server.catalog.all where entry.pattern.hasPrefix("/api/v1/") && entry.pattern.contains("/:") {
                guard let area = ids.keys.first(where: { entry.pattern.hasPrefix($0 + "/") }) else {
                    Issue.record("\(entry.pattern) takes an id but this test does not know tenant B's ids for it")
                    continue
                }
                for values in ids[area]! {
                    let body = bodies[entry.pattern] ?? APIFixtures.sampleBody(entry.documentation?.requestSchema)
                    let response = try await browser.api(entry.method.rawValue, APIFixtures.path(entry.pattern, values: values), json: body, bearer: a.key)
                    #expect(response.statusCode == 404, "\(entry.method.rawValue) \(entry.pattern) with B's id answered \(response.statusCode)")
                    #expect(response.header("Content-Type") == "application/problem+json")
                    for secret in secrets { #expect(!response.bodyText.contains(secret)) }
                    called += 1
                }
            }
            #expect(called >= 7)
            #expect(try await TenantSnapshot(server, b.owner) == before)
            #expect(APIFixtures.json(try await browser.api("GET", "/api/v1/jobs/\(bJob)", bearer: b.key))["state"] as? String == "queued")
            #expect(try await NodesAPITests.status(of: try #require(UUID(uuidString: bNode)), browser, b.key) == "ready")
            let bTokens = APIFixtures.json(try await browser.api("GET", "/api/v1/join-tokens", bearer: b.key))["items"] as? [[String: Any]]
            #expect(bTokens?.first?["is_usable"] as? Bool == true)

            for list in ["/api/v1/members", "/api/v1/invitations", "/api/v1/roles", "/api/v1/api-keys", "/api/v1/me", "/api/v1/security-settings"] {
                let response = try await browser.api("GET", list, bearer: a.key)
                #expect(response.statusCode == 200)
                for secret in secrets + [bRole.key, b.tenant.id.description] {
                    #expect(!response.bodyText.contains(secret), "\(list) with A's key shows B's \(secret)")
                }
            }
            let bMe = try await browser.api("GET", "/api/v1/me", bearer: bKey.secret)
            #expect(bMe.statusCode == 403)  // data.read only: B's key still authenticates, and tenant.read is not in it
            #expect(try await browser.api("GET", "/api/v1/me", bearer: b.key).bodyText.contains(b.tenant.id.description))
        }
    }

    @Test func idsThatAreNotUUIDsAreNotFound() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Alpha")
            let browser = server.browser()
            for path in ["/api/v1/members/42", "/api/v1/invitations/not-a-uuid", "/api/v1/api-keys/%27%20OR%201=1--", "/api/v1/roles/owner"] {
                let response = try await browser.api("DELETE", path, bearer: a.key)
                #expect(response.statusCode == 404, "\(path) answered \(response.statusCode)")
            }
            let patch = try await browser.api("PATCH", "/api/v1/members/nope", json: #"{"role":"viewer"}"#, bearer: a.key)
            #expect(patch.statusCode == 404)
        }
    }
}
