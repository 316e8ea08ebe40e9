import AgentProtocol
import ComputeAgents
import Foundation
import HTTPTypes
@testable import Portal
import Residency
import Tenancy
import Testing
import TestSupport

/// A fake node speaking the real agent API over HTTP (no `falaj-agent` process): enough to enrol, lease and report.
struct TestAgent {
    let browser: PortalBrowser
    let credential: String
    let id: UUID

    static let inventory = AgentInventory(
        hostname: "node-1.test", operatingSystem: "Linux", cpuModel: "Test CPU", cpuCores: 4, memoryBytes: 8 << 30, diskBytes: 100 << 30,
        gpus: [], agentVersion: "test-1", labels: ["rack": "a1"]
    )

    /// `POST /agent/v1/register` with `token`; returns the raw response.
    static func register(_ browser: PortalBrowser, token: String, hostname: String = "node-1.test") async throws -> HTTPTestResponse {
        var inventory = Self.inventory
        inventory.hostname = hostname
        return try await send(browser, "POST", AgentEndpoint.register, RegistrationRequest(joinToken: token, inventory: inventory), bearer: nil)
    }

    /// Enrols with `token` or fails the test.
    static func enrol(_ browser: PortalBrowser, token: String) async throws -> TestAgent {
        let response = try await register(browser, token: token)
        #expect(response.statusCode == 201, "register → \(response.statusCode) \(response.bodyText)")
        let registration = try AgentProtocol.decoder.decode(RegistrationResponse.self, from: Data(response.body))
        return TestAgent(browser: browser, credential: registration.credential.token, id: registration.agentID)
    }

    /// Leases at most one job (waiting up to 2 s).
    func lease() async throws -> LeasedJob? {
        let request = LeaseRequest(free: ResourceAmounts(cpuMillis: 4000, memoryBytes: 8 << 30), freeGPUIndices: [], maxJobs: 1, waitSeconds: 2)
        let response = try await Self.send(browser, "POST", AgentEndpoint.lease, request, bearer: credential)
        #expect(response.statusCode == 200, "lease → \(response.statusCode) \(response.bodyText)")
        return try AgentProtocol.decoder.decode(LeaseResponse.self, from: Data(response.body)).jobs.first
    }

    /// A JSON call in the agent protocol's encoding.
    static func send(_ browser: PortalBrowser, _ method: String, _ path: String, _ body: some Encodable, bearer: String?) async throws -> HTTPTestResponse {
        var headers = [("Content-Type", "application/json")]
        if let bearer { headers.append(("Authorization", "Bearer \(bearer)")) }
        return try await browser.request(method, path, headers: headers, body: Array(try AgentProtocol.encoder.encode(body)))
    }

    /// Raw bytes with the job token (log chunks, artifacts).
    static func sendBytes(_ browser: PortalBrowser, _ method: String, _ path: String, _ bytes: [UInt8], job: LeasedJob, headers: [(String, String)] = []) async throws
        -> HTTPTestResponse
    {
        try await browser.request(
            method, path, headers: [("Content-Type", "application/octet-stream"), ("Authorization", "Bearer \(job.token)")] + headers, body: bytes
        )
    }
}

/// Nodes and join tokens for tenant admins: a token enrols a node once, the node is listed, drained and revoked.
@Suite("Nodes API", .serialized)
struct NodesAPITests {
    @Test func joinTokenEnrolsOnceAndTheNodeIsListedDrainedAndRevoked() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Nodal", plan: "team")
            let browser = server.browser()
            let created = try await browser.api(
                "POST", "/api/v1/join-tokens", json: #"{"region":"eu-west-1","labels":{"gpu":"none"},"description":"lab box"}"#, bearer: a.key
            )
            #expect(created.statusCode == 201, "\(created.bodyText)")
            let body = APIFixtures.json(created)
            let token = try #require(body["token"] as? String)
            #expect(body["join_command"] as? String == "falaj-agent --server http://127.0.0.1:\(server.port) --join-token \(token)")
            let summary = try #require(body["join_token"] as? [String: Any])
            #expect(summary["dedicated_tenant_id"] as? String == a.tenant.id.description)
            #expect(summary["max_uses"] as? Int == 1 && summary["is_usable"] as? Bool == true)

            let tokens = try await browser.api("GET", "/api/v1/join-tokens", bearer: a.key)
            #expect(tokens.statusCode == 200 && !tokens.bodyText.contains(token), "the token is shown only once")
            #expect((APIFixtures.json(tokens)["items"] as? [[String: Any]])?.count == 1)

            let agent = try await TestAgent.enrol(browser, token: token)
            let second = try await TestAgent.register(browser, token: token, hostname: "node-2.test")
            #expect(second.statusCode == 401, "a one-use token enrols once: \(second.statusCode) \(second.bodyText)")

            let nodes = try #require(APIFixtures.json(try await browser.api("GET", "/api/v1/nodes", bearer: a.key))["items"] as? [[String: Any]])
            #expect(nodes.count == 1)
            let node = try #require(nodes.first)
            #expect(node["id"] as? String == agent.id.uuidString.lowercased() || node["id"] as? String == agent.id.uuidString)
            #expect(node["hostname"] as? String == "node-1.test" && node["region"] as? String == "eu-west-1")
            #expect(node["status"] as? String == "ready" && node["dedicated_tenant_id"] as? String == a.tenant.id.description)
            #expect((node["labels"] as? [String: String])?["gpu"] == "none", "the token's labels: \(node)")

            #expect(try await browser.api("POST", "/api/v1/nodes/\(agent.id)/drain", bearer: a.key).statusCode == 204)
            #expect(try await Self.status(of: agent.id, browser, a.key) == "draining")
            #expect(try await browser.api("POST", "/api/v1/nodes/\(agent.id)/revoke", bearer: a.key).statusCode == 204)
            let status = try await Self.status(of: agent.id, browser, a.key)
            #expect(status == "revoked" || status == nil, "\(String(describing: status))")
            let lease = try await TestAgent.send(
                browser, "POST", AgentEndpoint.lease, LeaseRequest(free: ResourceAmounts(cpuMillis: 1000, memoryBytes: 1 << 30), freeGPUIndices: [], waitSeconds: 0),
                bearer: agent.credential
            )
            #expect(lease.statusCode == 401, "a revoked node is refused at once")

            let tokenID = try #require(summary["id"] as? String)
            #expect(try await browser.api("POST", "/api/v1/join-tokens/\(tokenID)/revoke", bearer: a.key).statusCode == 204)
            let after = APIFixtures.json(try await browser.api("GET", "/api/v1/join-tokens", bearer: a.key))["items"] as? [[String: Any]]
            #expect(after?.first?["is_usable"] as? Bool == false && after?.first?["revoked_at"] is String)
        }
    }

    @Test func tokenFieldsAndRegionsAreChecked() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Checked", plan: "team")
            let browser = server.browser()
            let cases: [(body: String, status: Int, field: String?)] = [
                (#"{"labels":{}}"#, 400, "region"),
                (#"{"region":"atlantis-1"}"#, 422, "region"),
                (#"{"region":"eu-west-1","max_uses":0}"#, 422, "max_uses"),
                (#"{"region":"eu-west-1","expires_in_hours":9999}"#, 422, "expires_in_hours"),
                (#"{"region":"me-central-1"}"#, 403, nil),  // not allowed for processing by the default (home-only) policy
            ]
            for item in cases {
                let response = try await browser.api("POST", "/api/v1/join-tokens", json: item.body, bearer: a.key)
                let label = "\(item.body) → \(response.statusCode) \(response.bodyText)"
                #expect(response.statusCode == item.status, "\(label)")
                if let field = item.field { #expect((APIFixtures.json(response)["errors"] as? [String: String])?[field] != nil, "\(label)") }
            }
            #expect((APIFixtures.json(try await browser.api("GET", "/api/v1/join-tokens", bearer: a.key))["items"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func nodesNeedNodesManageAndStayWithinTheTenant() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "OwnerNodes", plan: "team")
            let b = try await APIFixtures.tenant(server, name: "OtherNodes", plan: "team")
            let browser = server.browser()
            let created = APIFixtures.json(try await browser.api("POST", "/api/v1/join-tokens", json: #"{"region":"eu-west-1","max_uses":2}"#, bearer: a.key))
            let token = try #require(created["token"] as? String)
            let tokenID = try #require((created["join_token"] as? [String: Any])?["id"] as? String)
            let agent = try await TestAgent.enrol(browser, token: token)

            let scientist = try await APIFixtures.member(server, a.owner, email: "ds@ownernodes.example", role: "owner")
            let scientistKey = try await APIFixtures.key(server, scientist, permissions: Permission.allCases)
            try await server.tenancy.members.changeRole(a.owner, member: try #require(scientist.actor.userID), to: "data_scientist")
            for (method, path) in [("GET", "/api/v1/nodes"), ("GET", "/api/v1/join-tokens"), ("POST", "/api/v1/nodes/\(agent.id)/drain")] {
                let response = try await browser.api(method, path, bearer: scientistKey)
                #expect(response.statusCode == 403 && response.bodyText.contains("nodes.manage"), "\(method) \(path) → \(response.statusCode)")
            }

            #expect((APIFixtures.json(try await browser.api("GET", "/api/v1/nodes", bearer: b.key))["items"] as? [Any])?.isEmpty == true)
            #expect((APIFixtures.json(try await browser.api("GET", "/api/v1/join-tokens", bearer: b.key))["items"] as? [Any])?.isEmpty == true)
            #expect(try await browser.api("POST", "/api/v1/nodes/\(agent.id)/drain", bearer: b.key).statusCode == 404)
            #expect(try await browser.api("POST", "/api/v1/nodes/\(agent.id)/revoke", bearer: b.key).statusCode == 404)
            #expect(try await browser.api("POST", "/api/v1/join-tokens/\(tokenID)/revoke", bearer: b.key).statusCode == 404)
            #expect(try await Self.status(of: agent.id, browser, a.key) == "ready")
        }
    }

    /// The node's status in the tenant's list, or nil when it is not listed.
    static func status(of id: UUID, _ browser: PortalBrowser, _ key: String) async throws -> String? {
        let nodes = APIFixtures.json(try await browser.api("GET", "/api/v1/nodes", bearer: key))["items"] as? [[String: Any]] ?? []
        return nodes.first { ($0["id"] as? String)?.lowercased() == id.uuidString.lowercased() }?["status"] as? String
    }
}
