import Foundation
import HTTPTypes
@testable import Portal
import Tenancy
import Testing
import TestSupport

/// Project access lists: a restricted project and everything in it are invisible (404, as if absent) to members who
/// are not on its list, on every project route of the API and through the push endpoint; listed members and member
/// managers see it; only member managers change the list.
@Suite("Project access", .serialized)
struct ProjectAccessTests {
    @Test func aRestrictedProjectIsNotFoundForMembersOutsideItsListOnEveryRoute() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Accessorg", plan: "team")
            let browser = server.browser()
            let group = try await FeaturesAPITests.define(browser, key: a.key, project: "secret")
            _ = try await browser.api("POST", "/api/v1/projects/secret/datasets", json: #"{"name":"ledger"}"#, bearer: a.key)
            let insider = try await APIFixtures.member(server, a.owner, email: "insider@access.example", role: "data_scientist")
            let outsider = try await APIFixtures.member(server, a.owner, email: "outsider@access.example", role: "data_scientist")
            let insiderKey = try await APIFixtures.key(server, insider, permissions: [.dataRead, .dataWrite])
            let outsiderKey = try await APIFixtures.key(server, outsider, permissions: [.dataRead, .dataWrite])
            let insiderID = try #require(insider.actor.userID).uuidString.lowercased()

            // Only a member manager may change the list.
            let refused = try await browser.api("PUT", "/api/v1/projects/secret/access", json: #"{"restricted":true,"members":[]}"#, bearer: insiderKey)
            #expect(refused.statusCode == 403)
            let unknown = try await browser.api("PUT", "/api/v1/projects/secret/access", json: #"{"restricted":true,"members":["\#(UUID())"]}"#, bearer: a.key)
            #expect(unknown.statusCode == 422)
            let restricted = try await browser.api("PUT", "/api/v1/projects/secret/access", json: #"{"restricted":true,"members":["\#(insiderID)"]}"#, bearer: a.key)
            #expect(restricted.statusCode == 200, "\(restricted.bodyText)")
            #expect(APIFixtures.json(restricted)["members"] as? [String] == [insiderID.uppercased()] || APIFixtures.json(restricted)["members"] as? [String] == [insiderID])

            // Every project route (and the push by group id) answers the outsider 404, the insider not 404.
            let values = ["project": "secret", "dataset": "ledger", "version": "1", "group": "customer_stats", "service": "svc", "id": group]
            var checked = 0
            for entry in server.catalog.all where entry.pattern.hasPrefix("/api/v1/projects/:project") || entry.pattern.hasPrefix("/api/v1/feature-groups/:id") {
                let path = APIFixtures.path(entry.pattern, values: values)
                let body = APIFixtures.sampleBody(entry.documentation?.requestSchema)
                let response = try await browser.api(entry.method.rawValue, path, json: body, bearer: outsiderKey)
                #expect(response.statusCode == 404 || response.statusCode == 403, "\(entry.method.rawValue) \(entry.pattern) answered the outsider \(response.statusCode)")
                #expect(!response.bodyText.contains("customer_stats") && !response.bodyText.contains("ledger"))
                checked += 1
            }
            #expect(checked >= 20)
            let online = try await browser.api(
                "POST", "/api/v1/features/online", json: #"{"project":"secret","entity_rows":[{"customer_id":"c1"}],"features":["customer_stats:age"]}"#,
                bearer: outsiderKey
            )
            #expect(online.statusCode == 404)
            #expect(!(try await browser.api("GET", "/api/v1/projects", bearer: outsiderKey)).bodyText.contains("secret"))

            #expect(try await browser.api("GET", "/api/v1/projects/secret/feature-groups/customer_stats", bearer: insiderKey).statusCode == 200)
            #expect((try await browser.api("GET", "/api/v1/projects", bearer: insiderKey)).bodyText.contains("\"restricted\":true"))
            let pushed = try await FeaturesAPITests.push(browser, key: insiderKey, group: group, #"[{"customer_id":"c1","event_time":"2026-01-01T00:00:00Z","age":3}]"#)
            #expect(pushed.statusCode == 200, "\(pushed.bodyText)")
            #expect(try await browser.api("GET", "/api/v1/projects/secret", bearer: a.key).statusCode == 200, "the owner manages members and sees it")

            // Opened again, the outsider sees it; the list is kept for the next restriction.
            let opened = try await browser.api("PUT", "/api/v1/projects/secret/access", json: #"{"restricted":false,"members":["\#(insiderID)"]}"#, bearer: a.key)
            #expect(APIFixtures.json(opened)["restricted"] as? Bool == false)
            #expect(try await browser.api("GET", "/api/v1/projects/secret/feature-groups/customer_stats", bearer: outsiderKey).statusCode == 200)
        }
    }

    /// A browser signed in as the member with `email`.
    static func browser(_ server: PortalTestServer, email: String) async throws -> PortalBrowser {
        let login = try await server.tenancy.authenticator.login(email: email, password: APIFixtures.password, clientAddress: "127.0.0.1", userAgent: "test")
        let browser = server.browser()
        browser.setCookie("falaj_session", login.token.description)
        return browser
    }

    @Test func theAccessPageRestrictsAProjectAndOnlyMemberManagersUseIt() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Accesspages", plan: "team")
            let owner = try await JobsPagesTests.owner(server, a)
            _ = try await owner.api("POST", "/api/v1/projects", json: #"{"name":"Secret <one>","slug":"secret"}"#, bearer: a.key)
            let insider = try await APIFixtures.member(server, a.owner, email: "in@pages.example", role: "data_scientist")
            _ = try await APIFixtures.member(server, a.owner, email: "out@pages.example", role: "data_scientist")
            let page = try await owner.get("/app/projects/secret/access")
            #expect(page.statusCode == 200)
            for marker in [#"id="access-form""#, "in@pages.example", "out@pages.example", "Secret &lt;one&gt;", "(sees every project)"] {
                #expect(page.bodyText.contains(marker), "\(marker)")
            }
            let insiderID = try #require(insider.actor.userID).uuidString.lowercased()
            let saved = try await owner.post("/app/projects/secret/access", [("restricted", "1"), ("member", insiderID)])
            #expect(saved.statusCode == 303 && saved.header("Location") == "/app/projects/secret/access?done=saved")
            let after = try await owner.follow(saved)
            #expect(after.bodyText.contains(#"id="access-saved""#) && after.bodyText.contains(#"value="\#(insiderID)" id="member-\#(insiderID)" checked"#))

            let outsider = try await Self.browser(server, email: "out@pages.example")
            #expect(try await outsider.get("/app/projects/secret").statusCode == 404)
            #expect(!(try await outsider.get("/app/projects")).bodyText.contains("Secret"))
            #expect(try await outsider.get("/app/projects/secret/access").statusCode == 403)
            #expect(try await outsider.post("/app/projects/secret/access", [("restricted", "0")]).statusCode == 403)
            let inside = try await Self.browser(server, email: "in@pages.example")
            let insidePage = try await inside.get("/app/projects/secret")
            #expect(insidePage.statusCode == 200 && insidePage.bodyText.contains("Only the members on its access list"))
            #expect(!insidePage.bodyText.contains(#"id="access-link""#), "a member who cannot manage members gets no access link")
            #expect(try await owner.get("/app/projects/secret").bodyText.contains(#"id="access-link""#))
        }
    }
}
