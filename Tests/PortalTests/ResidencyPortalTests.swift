import Foundation
import Residency
import Tenancy
import TestSupport
import Testing

/// The residency page and API as a user and a client see them: where data lives, policy changes, and refused
/// placements answered with 403 naming the rule and recorded in the audit trail.
@Suite("Residency portal", .serialized)
struct ResidencyPortalTests {
    static let password = "Saffron-Dhow-Lantern-58"

    @Test func ownerSeesWhereDataLivesAndChangesThePolicy() async throws {
        try await PortalTestServer.with { server in
            try await RegionCatalog(directory: server.environment.router.directory).synchronize([
                Region(id: "me-central-2", displayName: "UAE (Abu Dhabi)", country: "AE", jurisdiction: "AE")
            ])
            let browser = server.browser()
            _ = try await browser.get("/signup")
            let signUp = try await browser.post(
                "/signup", [("organisation", "Gulf Dates"), ("region", "me-central-1"), ("email", "owner@gulf.example"), ("password", Self.password)]
            )
            #expect(signUp.statusCode == 303)
            #expect(try await browser.follow(signUp).bodyText.contains(#"href="/app/residency""#))

            let page = try await browser.get("/app/residency")
            #expect(page.statusCode == 200)
            let html = page.bodyText
            #expect(html.contains("<code>me-central-1</code> UAE (Dubai)") && html.contains("jurisdiction AE"))
            #expect(html.contains("All of Gulf Dates&#39;s data") || html.contains("All of Gulf Dates's data"))
            #expect(html.contains("stored only in me-central-1, UAE (Dubai)") && html.contains("Not permitted"))
            #expect(html.contains(#"id="residency-form""#) && html.contains(#"value="me-central-2""#) && html.contains(#"value="eu-west-1""#))

            let refused = try await browser.post("/app/residency", [("allowed_processing_regions", "eu-west-1")])
            #expect(refused.statusCode == 422)
            #expect(refused.bodyText.contains("field-error") && refused.bodyText.contains("outside the UAE"))
            #expect(refused.bodyText.contains(#"value="eu-west-1" checked"#))

            let saved = try await browser.post("/app/residency", [("allowed_processing_regions", "me-central-2")])
            #expect(saved.statusCode == 303 && saved.header("Location") == "/app/residency?saved=1")
            let after = try await browser.follow(saved).bodyText
            #expect(after.contains("Residency policy saved.") && after.contains("may also run in me-central-2 (UAE)"))
        }
    }

    @Test func placementCheckRefusalIsA403NamingTheRuleAndIsAudited() async throws {
        try await PortalTestServer.with { server in
            let result = try await server.tenancy.signUp.signUp(
                SignUpForm(organisation: "Acme", region: "me-central-1", email: "owner@acme-uae.example", password: Self.password, plan: "enterprise")
            )
            let owner = try #require(try await server.tenancy.authenticator.session(result.session, requestID: "t", clientAddress: "127.0.0.1")).context
            let reader = try await server.tenancy.apiKeys.create(owner, name: "reader", permissions: ["tenant.read"], expiresInDays: nil).secret
            let admin = try await server.tenancy.apiKeys.create(owner, name: "admin", permissions: ["tenant.read", "security.manage"], expiresInDays: nil).secret
            let browser = server.browser()
            let checks = "/api/v1/residency/placement-checks"

            let refused = try await browser.api("POST", checks, json: #"{"operation":"process","region":"eu-west-1"}"#, bearer: reader)
            #expect(refused.statusCode == 403)
            #expect(refused.header("Content-Type") == "application/problem+json")
            let problem = try #require(try JSONSerialization.jsonObject(with: Data(refused.body)) as? [String: Any])
            #expect(problem["rule"] as? String == "processing-region-not-allowed")
            #expect((problem["detail"] as? String)?.hasPrefix("Tenant data of Acme may only be processed in me-central-1") == true)

            let allowed = try await browser.api("POST", checks, json: #"{"operation":"store","region":"me-central-1"}"#, bearer: reader)
            #expect(allowed.statusCode == 200 && allowed.bodyText.contains(#""allowed":true"#))
            let bad = try await browser.api("POST", checks, json: #"{"operation":"fly","region":"me-central-1"}"#, bearer: reader)
            #expect(bad.statusCode == 422 && bad.bodyText.contains(#""operation":"#))

            let events = try await server.environment.router.withTenantTransaction(owner.tenantID) { connection in
                try await AuditLog.events(AuditFilter(actionPrefix: "residency."), on: connection)
            }
            #expect(events.count == 1)
            #expect(events.first?.action == "residency.placement_refused" && events.first?.outcome == "denied")
            #expect(events.first?.target == "region:eu-west-1" && events.first?.actor.kind == "api_key")
            #expect(events.first?.details["rule"] == "processing-region-not-allowed")

            let update = #"{"allowed_processing_regions":["eu-west-1"],"is_cross_border_transfer_allowed":true}"#
            #expect(try await browser.api("PUT", "/api/v1/residency", json: update, bearer: reader).statusCode == 403)
            let changed = try await browser.api("PUT", "/api/v1/residency", json: update, bearer: admin)
            #expect(changed.statusCode == 200 && changed.bodyText.contains(#""allowed_processing_regions":["eu-west-1"]"#))
            let now = try await browser.api("POST", checks, json: #"{"operation":"process","region":"eu-west-1"}"#, bearer: reader)
            #expect(now.statusCode == 200)
            let current = try await browser.api("GET", "/api/v1/residency", bearer: reader).bodyText
            #expect(current.contains(#""jurisdiction":"AE""#) && current.contains(#""is_cross_border_transfer_allowed":true"#))
        }
    }
}
