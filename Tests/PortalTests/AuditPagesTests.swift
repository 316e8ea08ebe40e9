import Foundation
import Residency
import Tenancy
import TestSupport
import Testing

@Suite struct AuditPagesTests {
    @Test func auditorsFilterAndExportTheTrailAsJSONLinesAndCSV() async throws {
        try await PortalTestServer.with { server in
            let tenancy = server.tenancy
            let signUp = try await tenancy.signUp.signUp(
                SignUpForm(organisation: "Audit Pages", region: "eu-west-1", email: "owner@audit.example", password: "correct-horse-battery-staple-42")
            )
            let owner = try #require(try await tenancy.authenticator.session(signUp.session, requestID: "t", clientAddress: "127.0.0.1"))
            let invitation = try await tenancy.members.invite(owner.context, email: "auditor@audit.example", roleKey: "auditor", baseURL: "http://x")
            _ = try await tenancy.members.accept(invitation.token, displayName: "Ann Auditor", password: "correct-horse-battery-staple-42")
            let login = try await tenancy.authenticator.login(email: "auditor@audit.example", password: "correct-horse-battery-staple-42", clientAddress: "7.7.7.7", userAgent: "t")
            let browser = server.browser()
            browser.setCookie("falaj_session", login.token.description)

            let page = try await browser.get("/app/audit")
            #expect(page.statusCode == 200)
            for action in ["tenant.created", "member.invited", "member.joined", "member.login"] { #expect(page.bodyText.contains(action), "\(action)") }
            #expect(!page.bodyText.contains("auditor@audit.example") || page.bodyText.contains("id=\"active-tenant\""), "no e-mails in events")

            let filtered = try await browser.get("/app/audit?action=member.inv")
            #expect(filtered.bodyText.contains("member.invited") && !filtered.bodyText.contains("tenant.created"))
            let badDate = try await browser.get("/app/audit?since=yesterday")
            #expect(badDate.statusCode == 422 && badDate.bodyText.contains("YYYY-MM-DD"))

            let jsonl = try await browser.get("/app/audit/export?format=jsonl")
            #expect(jsonl.statusCode == 200)
            #expect(jsonl.header("Content-Type") == "application/x-ndjson")
            #expect(jsonl.header("Content-Disposition")?.contains("attachment") == true)
            let lines = jsonl.bodyText.split(separator: "\n")
            #expect(lines.count >= 5)
            for line in lines {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                #expect(object?["hash"] is String && object?["details"] is [String: Any], "\(line)")
            }
            let csv = try await browser.get("/app/audit/export?format=csv&action=member.")
            #expect(csv.bodyText.hasPrefix("sequence,occurred_at,actor_kind"))
            #expect(csv.bodyText.contains("\"member.joined\"") && !csv.bodyText.contains("\"tenant.created\""))

            // The export is itself audited; a viewer has no access (the page matrix covers the page, this the export).
            let events = try await tenancy.audit.events(owner.context, .init(actionPrefix: "audit.exported"))
            #expect(events.count == 2)
        }
    }

    @Test func theAPIListsEventsWithFiltersAndPaging() async throws {
        try await PortalTestServer.with { server in
            let tenancy = server.tenancy
            let signUp = try await tenancy.signUp.signUp(
                SignUpForm(organisation: "Audit API", region: "me-central-1", email: "owner@auditapi.example", password: "correct-horse-battery-staple-42")
            )
            let owner = try #require(try await tenancy.authenticator.session(signUp.session, requestID: "t", clientAddress: "127.0.0.1"))
            let key = try await tenancy.apiKeys.create(owner.context, name: "siem", permissions: ["audit.read"], expiresInDays: 1)
            let browser = server.browser()
            let first = try await browser.api("GET", "/api/v1/audit-events?limit=1", bearer: key.secret)
            #expect(first.statusCode == 200)
            let items = try #require((try JSONSerialization.jsonObject(with: Data(first.body)) as? [String: Any])?["items"] as? [[String: Any]])
            #expect(items.count == 1)
            let newest = try #require(items.first?["sequence"] as? Int)
            #expect(items.first?["region"] as? String == "me-central-1")
            let older = try await browser.api("GET", "/api/v1/audit-events?before=\(newest)", bearer: key.secret)
            let olderItems = (try JSONSerialization.jsonObject(with: Data(older.body)) as? [String: Any])?["items"] as? [[String: Any]] ?? []
            #expect(olderItems.allSatisfy { ($0["sequence"] as? Int ?? .max) < newest } && !olderItems.isEmpty)
            let bad = try await browser.api("GET", "/api/v1/audit-events?since=soon&limit=0", bearer: key.secret)
            #expect(bad.statusCode == 422)
            #expect(bad.bodyText.contains("since") && bad.bodyText.contains("limit"))
            let noScope = try await tenancy.apiKeys.create(owner.context, name: "other", permissions: ["members.read"], expiresInDays: 1)
            #expect(try await browser.api("GET", "/api/v1/audit-events", bearer: noScope.secret).statusCode == 403)
        }
    }
}
