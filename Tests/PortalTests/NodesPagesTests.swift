import Foundation
import HTTPTypes
@testable import Portal
import Residency
import Tenancy
import Testing
import TestSupport

/// The nodes pages: a tenant admin creates and revokes join tokens and manages its dedicated nodes; the operator
/// console lists every node and creates shared or dedicated tokens.
@Suite("Nodes pages", .serialized)
struct NodesPagesTests {
    @Test func tenantAdminCreatesATokenSeesTheCommandOnceAndManagesTheNode() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Racks", plan: "team")
            let browser = try await JobsPagesTests.owner(server, a)
            let page = try await browser.get("/app/nodes")
            #expect(page.statusCode == 200 && page.bodyText.contains(#"id="join-token-form""#) && page.bodyText.contains("No nodes enrolled yet."))

            let bad = try await browser.post("/app/nodes/join-tokens", [("region", "eu-west-1"), ("labels", "nonsense"), ("max_uses", "1"), ("expires_hours", "24")])
            #expect(bad.statusCode == 422 && bad.bodyText.contains("key=value"))

            let created = try await browser.post(
                "/app/nodes/join-tokens", [("region", "eu-west-1"), ("labels", "gpu=a100, rack=7"), ("max_uses", "1"), ("expires_hours", "24"), ("description", "rack 7")]
            )
            #expect(created.statusCode == 200)
            let token = try #require(Self.text(ofElement: "new-join-token", in: created.bodyText))
            #expect(Self.text(ofElement: "join-command", in: created.bodyText) == "falaj-agent --server http://127.0.0.1:\(server.port) --join-token \(token)")
            let again = try await browser.get("/app/nodes")
            #expect(!again.bodyText.contains(token) && again.bodyText.contains("gpu=a100, rack=7"))

            let agent = try await TestAgent.enrol(server.browser(), token: token)
            let listed = try await browser.get("/app/nodes")
            #expect(listed.bodyText.contains("node-1.test") && listed.bodyText.contains(#"class="badge ok">ready"#))
            let id = agent.id.uuidString.lowercased()
            let drained = try await browser.post("/app/nodes/\(id)/drain", [])
            #expect(drained.statusCode == 303 && drained.header("Location") == "/app/nodes?done=drained")
            #expect(try await browser.follow(drained).bodyText.contains(#"class="badge warn">draining"#))
            _ = try await browser.get("/app/nodes")
            #expect(try await browser.post("/app/nodes/\(id)/revoke", []).statusCode == 303)

            let tokens = APIFixtures.json(try await browser.api("GET", "/api/v1/join-tokens", bearer: a.key))["items"] as? [[String: Any]] ?? []
            let tokenID = try #require(tokens.first?["id"] as? String).lowercased()
            _ = try await browser.get("/app/nodes")
            let revoked = try await browser.post("/app/nodes/join-tokens/\(tokenID)/revoke", [])
            #expect(revoked.statusCode == 303 && revoked.header("Location") == "/app/nodes?done=token-revoked")
        }
    }

    @Test func operatorSeesEveryNodeAndCreatesSharedAndDedicatedTokens() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "TenantNodes", plan: "team")
            _ = try await server.tenancy.operators.ensureOperator(email: "ops@falaj.example", displayName: "Ops", password: APIFixtures.password)
            let browser = server.browser()
            #expect(try await browser.get("/operator/nodes").header("Location") == "/operator/login")
            _ = try await browser.get("/operator/login")
            #expect(try await browser.post("/operator/login", [("email", "ops@falaj.example"), ("password", APIFixtures.password)]).statusCode == 303)
            let console = try await browser.get("/operator")
            #expect(console.bodyText.contains(#"href="/operator/nodes""#) && console.bodyText.contains(#"href="/operator/join-tokens""#))
            #expect(try await browser.get("/operator/join-tokens").statusCode == 200)

            let shared = try await browser.post("/operator/join-tokens", [("region", "me-central-1"), ("tenant", ""), ("labels", ""), ("max_uses", "3"), ("expires_hours", "2")])
            #expect(shared.statusCode == 200, "\(shared.bodyText.prefix(300))")
            let sharedToken = try #require(Self.text(ofElement: "new-join-token", in: shared.bodyText))
            #expect(Self.text(ofElement: "join-command", in: shared.bodyText)?.hasSuffix("--join-token \(sharedToken)") == true)
            let dedicated = try await browser.post(
                "/operator/join-tokens", [("region", "eu-west-1"), ("tenant", a.tenant.id.description), ("labels", ""), ("max_uses", "1"), ("expires_hours", "24")]
            )
            #expect(dedicated.statusCode == 200 && dedicated.bodyText.contains("TenantNodes"))

            let agent = try await TestAgent.enrol(server.browser(), token: sharedToken)
            let nodes = try await browser.get("/operator/nodes")
            #expect(nodes.statusCode == 200 && nodes.bodyText.contains("node-1.test") && nodes.bodyText.contains("me-central-1"))
            let drained = try await browser.post("/operator/nodes/\(agent.id.uuidString.lowercased())/drain", [])
            #expect(drained.statusCode == 303 && drained.header("Location") == "/operator/nodes?done=drained")
            // The tenant sees only its dedicated nodes: not the shared one.
            #expect((APIFixtures.json(try await browser.api("GET", "/api/v1/nodes", bearer: a.key))["items"] as? [Any])?.isEmpty == true)
            // Members are not operators.
            let member = try await JobsPagesTests.owner(server, a)
            #expect(try await member.get("/operator/nodes").header("Location") == "/operator/login")
        }
    }

    /// The text content of the element with `id` (no nested tags), HTML entities left as they are.
    static func text(ofElement id: String, in html: String) -> String? {
        guard let start = html.range(of: #"id="\#(id)""#), let close = html[start.upperBound...].firstIndex(of: ">") else { return nil }
        let rest = html[html.index(after: close)...]
        return rest.firstIndex(of: "<").map { String(rest[..<$0]) }
    }
}
