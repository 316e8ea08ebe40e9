import Foundation
@testable import Portal
import Tenancy
import Testing
import TestSupport

/// The projects pages in a browser-like client: forms with their errors, the dataset page with its upload panel,
/// the page upload route (CSRF token in a header), and what a read-only member sees.
@Suite("Dataset pages", .serialized)
struct DatasetPagesTests {
    @Test func ownerCreatesAProjectAndADatasetFromTheForms() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Paged", plan: "team")
            let browser = try await JobsPagesTests.owner(server, a)
            let list = try await browser.get("/app/projects")
            #expect(list.statusCode == 200 && list.bodyText.contains(#"id="project-form""#) && list.bodyText.contains(#"id="no-projects""#))
            let bad = try await browser.post("/app/projects", [("name", "Churn <model>"), ("slug", "Bad Slug"), ("description", "")])
            #expect(bad.statusCode == 422 && bad.bodyText.contains("field-error") && bad.bodyText.contains("Churn &lt;model&gt;"))
            let made = try await browser.post("/app/projects", [("name", "Churn <model>"), ("slug", ""), ("description", "who leaves")])
            #expect(made.statusCode == 303 && made.header("Location") == "/app/projects/churn-model", "\(made.bodyText.prefix(300))")
            let project = try await browser.follow(made)
            #expect(project.bodyText.contains("Churn &lt;model&gt;") && project.bodyText.contains(#"id="dataset-form""#))
            let taken = try await browser.post("/app/projects", [("name", "Again"), ("slug", "churn-model"), ("description", "")])
            #expect(taken.statusCode == 409 && taken.bodyText.contains("exists already"))
            let dataset = try await browser.post("/app/projects/churn-model/datasets", [("name", "customers"), ("description", "CRM")])
            #expect(dataset.statusCode == 303 && dataset.header("Location") == "/app/projects/churn-model/datasets/customers")
            let page = try await browser.follow(dataset)
            #expect(page.bodyText.contains(#"id="upload-form""#) && page.bodyText.contains(#"id="no-versions""#))
            #expect(page.bodyText.contains("/static/js/dataset-upload.js"))
            #expect(try await browser.get("/app/projects/nope").statusCode == 404)
            #expect(try await browser.get("/app/projects/churn-model/datasets/nope").statusCode == 404)
        }
    }

    @Test func thePageUploadNeedsTheCSRFTokenAndShowsTheNewVersion() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Uploader", plan: "team")
            let browser = try await JobsPagesTests.owner(server, a)
            try await DatasetsAPITests.project(browser, key: a.key)
            let page = try await browser.get("/app/projects/churn/datasets/customers")
            let token = try #require(Self.attribute("data-csrf", in: page.bodyText))
            let path = "/app/projects/churn/datasets/customers/upload?format=csv&filename=crm.csv"
            let origin = try #require(browser.origin)
            let file = Array(DatasetsAPITests.csv.utf8)
            let missing = try await browser.request("POST", path, headers: [("Content-Type", "text/csv"), ("Origin", origin)], body: file)
            #expect(missing.statusCode == 403)
            let forged = try await browser.request("POST", path, headers: [("Content-Type", "text/csv"), ("Origin", origin), ("X-CSRF-Token", "x" + token)], body: file)
            #expect(forged.statusCode == 403)
            let elsewhere = try await browser.request(
                "POST", path, headers: [("Content-Type", "text/csv"), ("Origin", "https://evil.example"), ("X-CSRF-Token", token)], body: file
            )
            #expect(elsewhere.statusCode == 403)
            let stored = try await browser.request("POST", path, headers: [("Content-Type", "text/csv"), ("Origin", origin), ("X-CSRF-Token", token)], body: file)
            #expect(stored.statusCode == 201, "\(stored.bodyText.prefix(300))")
            let version = try await browser.get("/app/projects/churn/datasets/customers/versions/1")
            for marker in [#"id="schema-table""#, #"id="preview-table""#, "svg class=\"histogram\"", "crm.csv", "every value different", "likes &quot;fast&quot; support"] {
                #expect(version.bodyText.contains(marker), "\(marker)")
            }
            let download = try await browser.request("GET", "/app/projects/churn/datasets/customers/versions/1/content")
            #expect(download.statusCode == 200 && download.bodyText.hasPrefix("customer_id,age,plan"))
        }
    }

    @Test func aReadOnlyMemberSeesDatasetsButNoForms() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Readers", plan: "team")
            try await DatasetsAPITests.project(server.browser(), key: a.key)
            let viewer = try await APIFixtures.member(server, a.owner, email: "viewer@readers.example", role: "viewer")
            let login = try await server.tenancy.authenticator.login(
                email: "viewer@readers.example", password: APIFixtures.password, clientAddress: "127.0.0.1", userAgent: "test"
            )
            let browser = server.browser()
            browser.setCookie("falaj_session", login.token.description)
            let canRead = viewer.allows(.dataRead)
            let projects = try await browser.get("/app/projects")
            #expect(projects.statusCode == (canRead ? 200 : 403))
            if canRead {
                #expect(!projects.bodyText.contains(#"id="project-form""#))
                let dataset = try await browser.get("/app/projects/churn/datasets/customers")
                #expect(dataset.statusCode == 200 && !dataset.bodyText.contains(#"id="upload-form""#))
                _ = try await browser.get("/app/projects")
                #expect(try await browser.post("/app/projects", [("name", "Sneaky")]).statusCode == 403)
            }
        }
    }

    /// The value of the first `name="…"` attribute in `html`.
    static func attribute(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: "\(name)=\"") else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }
}
