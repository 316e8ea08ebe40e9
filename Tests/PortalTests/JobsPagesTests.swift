import Foundation
import HTTPTypes
@testable import Portal
import Residency
import Tenancy
import Testing
import TestSupport

/// The jobs pages in a browser-like client: submit from the form, see the job, cancel it; form errors and plan limits.
@Suite("Jobs pages", .serialized)
struct JobsPagesTests {
    /// A portal session cookie value for the tenant's owner.
    static func session(_ server: PortalTestServer, _ tenant: APITestTenant) async throws -> String {
        let login = try await server.tenancy.authenticator.login(email: tenant.ownerEmail, password: APIFixtures.password, clientAddress: "127.0.0.1", userAgent: "test")
        return login.token.description
    }

    /// A browser signed in as the tenant's owner.
    static func owner(_ server: PortalTestServer, _ tenant: APITestTenant) async throws -> PortalBrowser {
        let browser = server.browser()
        browser.setCookie("falaj_session", try await session(server, tenant))
        return browser
    }

    @Test func ownerSubmitsACommandJobFromTheFormAndCancelsIt() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Formal", plan: "team")
            let browser = try await Self.owner(server, a)
            let list = try await browser.get("/app/jobs")
            #expect(list.statusCode == 200)
            for marker in [#"id="job-form""#, #"id="no-jobs""#, #"href="/app/jobs""#, "eu-west-1"] { #expect(list.bodyText.contains(marker), "\(marker)") }

            let submitted = try await browser.post(
                "/app/jobs",
                [("name", "weekly <retrain>"), ("command", #"["python", "-c", "print('hi there')"]"#), ("cpu", "0.5"), ("memory", "256"), ("gpus", "0"), ("nodes", "1"), ("region", "")]
            )
            #expect(submitted.statusCode == 303, "\(submitted.bodyText.prefix(500))")
            let location = try #require(submitted.header("Location"))
            #expect(location.hasPrefix("/app/jobs/"))
            let page = try await browser.follow(submitted)
            #expect(page.statusCode == 200)
            #expect(page.bodyText.contains("weekly &lt;retrain&gt;"), "names are escaped")
            #expect(page.bodyText.contains(#"<span id="job-state" class="badge">queued</span>"#))
            #expect(page.bodyText.contains(#"id="cancel-form""#) && page.bodyText.contains(#"id="job-log""#))
            #expect(page.bodyText.contains(#"data-stream="\#(location)/log""#))
            #expect(page.bodyText.contains("print(&#39;hi there&#39;)") || page.bodyText.contains("print('hi there')") || page.bodyText.contains("print(&#x27;hi there&#x27;)"))

            let jobs = APIFixtures.json(try await browser.api("GET", "/api/v1/jobs", bearer: a.key))["items"] as? [[String: Any]] ?? []
            #expect(jobs.count == 1)
            #expect((jobs.first?["resources"] as? [String: Any])?["cpu_millis"] as? Int == 500)
            #expect((jobs.first?["resources"] as? [String: Any])?["memory_bytes"] as? Int == 256 << 20)

            let cancelled = try await browser.post("\(location)/cancel", [])
            #expect(cancelled.statusCode == 303 && cancelled.header("Location") == "\(location)?done=cancelled")
            let after = try await browser.follow(cancelled)
            #expect(after.bodyText.contains(#"class="badge warn">cancelled"#) && after.bodyText.contains("Cancellation requested"))
            #expect(!after.bodyText.contains(#"id="cancel-form""#))
            let filtered = try await browser.get("/app/jobs?state=cancelled")
            #expect(filtered.bodyText.contains("weekly &lt;retrain&gt;"))
            #expect(try await browser.get("/app/jobs?state=running").bodyText.contains("No running jobs."))

            let log = try await browser.request("GET", "\(location)/log", headers: [("Accept", "text/event-stream")])
            #expect(log.statusCode == 200 && log.bodyText.contains("event: end"))
            #expect(try await browser.get("/app/jobs/\(UUID().uuidString.lowercased())").statusCode == 404)
        }
    }

    @Test func formErrorsNameTheFieldAndPlanLimitsExplainThemselves() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Slips", plan: "free")
            let browser = try await Self.owner(server, a)
            _ = try await browser.get("/app/jobs")
            let empty = try await browser.post("/app/jobs", [("name", "x"), ("command", "  "), ("cpu", "lots"), ("memory", "512"), ("gpus", "0"), ("nodes", "1")])
            #expect(empty.statusCode == 422)
            #expect(empty.bodyText.contains("Enter the command to run") && empty.bodyText.contains("Enter CPU cores"))
            #expect(empty.bodyText.contains(#"value="lots""#), "the form keeps what was typed")

            let badJSON = try await browser.post("/app/jobs", [("command", "[python"), ("cpu", "1"), ("memory", "512"), ("gpus", "0"), ("nodes", "1")])
            #expect(badJSON.statusCode == 422 && badJSON.bodyText.contains("JSON array of strings"))

            let gpu = try await browser.post("/app/jobs", [("command", "nvidia-smi"), ("cpu", "1"), ("memory", "512"), ("gpus", "1"), ("nodes", "1")])
            #expect(gpu.statusCode == 403)
            #expect(gpu.bodyText.contains(#"class="form-error""#) && gpu.bodyText.contains("GPU"))
            #expect((APIFixtures.json(try await browser.api("GET", "/api/v1/jobs", bearer: a.key))["items"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func viewerSeesJobsWithoutTheFormAndNoNodesPage() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Lookers", plan: "team")
            _ = try await APIFixtures.member(server, a.owner, email: "viewer@lookers.example", role: "viewer")
            let login = try await server.tenancy.authenticator.login(email: "viewer@lookers.example", password: APIFixtures.password, clientAddress: "127.0.0.1", userAgent: "t")
            let browser = server.browser()
            browser.setCookie("falaj_session", login.token.description)
            let jobs = try await browser.get("/app/jobs")
            #expect(jobs.statusCode == 200 && !jobs.bodyText.contains(#"id="job-form""#))
            #expect(jobs.bodyText.contains(#"href="/app/jobs""#) && !jobs.bodyText.contains(#"href="/app/nodes""#), "navigation follows the permissions")
            #expect(try await browser.get("/app/nodes").statusCode == 403)
            _ = try await browser.get("/app/jobs")
            #expect(try await browser.post("/app/jobs", [("command", "true"), ("cpu", "1"), ("memory", "1"), ("gpus", "0"), ("nodes", "1")]).statusCode == 403)
        }
    }
}
