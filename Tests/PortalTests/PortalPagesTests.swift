import Foundation
import Tenancy
import TestSupport
import Testing

/// The server-rendered pages as a browser uses them: sign-up, sign-in, invitations, permissions, CSRF and escaping.
@Suite("Portal pages", .serialized)
struct PortalPagesTests {
    static let password = "Blue-heron-lantern-42"

    /// Signs up a new organisation in `browser` and returns the dashboard HTML.
    @discardableResult
    static func signUp(_ browser: PortalBrowser, organisation: String = "Acme Analytics", email: String = "owner@acme.example") async throws -> String {
        _ = try await browser.get("/signup")
        let response = try await browser.post(
            "/signup",
            [("organisation", organisation), ("region", "eu-west-1"), ("email", email), ("password", password)]
        )
        #expect(response.statusCode == 303)
        #expect(response.header("Location") == "/app")
        let dashboard = try await browser.follow(response)
        #expect(dashboard.statusCode == 200)
        return dashboard.bodyText
    }

    /// The value of attribute `attribute` on the element with `id`, HTML-unescaped.
    static func attribute(_ attribute: String, ofElement id: String, in html: String) -> String? {
        guard let element = html.range(of: "id=\"\(id)\"") else { return nil }
        let tagStart = html[..<element.lowerBound].lastIndex(of: "<") ?? element.lowerBound
        let tag = html[tagStart...].prefix { $0 != ">" }
        guard let start = tag.range(of: " \(attribute)=\"") else { return nil }
        let value = tag[start.upperBound...].prefix { $0 != "\"" }
        return value.replacingOccurrences(of: "&#x2F;", with: "/").replacingOccurrences(of: "&#x3D;", with: "=")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    @Test func signUpFormHasTheBrowserContractFields() async throws {
        try await PortalTestServer.with { server in
            let page = try await server.browser().get("/signup").bodyText
            for fragment in [
                #"id="signup-form""#, #"name="organisation""#, #"name="region""#, #"name="email""#, #"name="password""#,
                #"id="signup-submit""#, #"value="eu-west-1""#, "EU (Ireland)", "IE",
            ] {
                #expect(page.contains(fragment), "missing \(fragment)")
            }
            let landing = try await server.browser().get("/").bodyText
            #expect(landing.contains(#"href="/signup""#) && landing.contains(#"href="/login""#))
        }
    }

    @Test func signUpLandsOnDashboardShowingTheTenant() async throws {
        try await PortalTestServer.with { server in
            let browser = server.browser()
            let dashboard = try await Self.signUp(browser)
            #expect(dashboard.contains(#"<span id="active-tenant" class="tenant-name">Acme Analytics</span>"#))
            #expect(dashboard.contains(#"<code id="active-region">eu-west-1</code>"#))
            #expect(dashboard.contains(#"id="logout-form""#) && dashboard.contains(#"id="logout-submit""#))
            #expect(dashboard.contains(#"href="/app/security""#))
            let logout = try await browser.post("/logout", [])
            #expect(logout.statusCode == 303 && logout.header("Location") == "/login")
            #expect(try await browser.get("/app").statusCode == 303)
        }
    }

    @Test func wrongPasswordShowsTheGenericErrorAndRightPasswordSignsIn() async throws {
        try await PortalTestServer.with { server in
            try await Self.signUp(server.browser())
            let browser = server.browser()
            _ = try await browser.get("/login")
            let wrong = try await browser.post("/login", [("email", "owner@acme.example"), ("password", "not-the-password-1")])
            #expect(wrong.statusCode == 401)
            #expect(wrong.bodyText.contains(#"<p class="form-error" role="alert">Incorrect e-mail or password.</p>"#))
            #expect(wrong.bodyText.contains(#"value="owner@acme.example""#))
            #expect(!wrong.bodyText.contains("not-the-password-1"))
            let right = try await browser.post("/login", [("email", "owner@acme.example"), ("password", Self.password), ("next", "/app/members")])
            #expect(right.statusCode == 303 && right.header("Location") == "/app/members")
            #expect(try await browser.follow(right).statusCode == 200)
            let offsite = try await browser.post("/login", [("email", "owner@acme.example"), ("password", Self.password), ("next", "//evil.example/")])
            #expect(offsite.header("Location") == "/app")
        }
    }

    @Test func invitedViewerAcceptsSignsInAndIsRefusedSecuritySettings() async throws {
        try await PortalTestServer.with { server in
            let owner = server.browser()
            try await Self.signUp(owner)
            _ = try await owner.get("/app/members")
            let invited = try await owner.post("/app/members/invite", [("email", "viewer@acme.example"), ("role", "viewer")])
            #expect(invited.statusCode == 200)
            let link = try #require(Self.attribute("href", ofElement: "invite-link", in: invited.bodyText))
            #expect(link.hasPrefix("http://127.0.0.1:\(server.port)/invitations/"))
            let path = String(link.dropFirst("http://127.0.0.1:\(server.port)".count))

            let invitee = server.browser()
            let preview = try await invitee.get(path)
            #expect(preview.statusCode == 200)
            #expect(preview.bodyText.contains("Acme Analytics") && preview.bodyText.contains("viewer@acme.example"))
            #expect(preview.bodyText.contains(#"id="accept-form""#))
            let accepted = try await invitee.post(path, [("display_name", "Vera Viewer"), ("password", Self.password)])
            #expect(accepted.statusCode == 303 && accepted.header("Location") == "/login?accepted=1")
            #expect(try await invitee.follow(accepted).bodyText.contains(#"class="notice""#))

            let signedIn = try await invitee.post("/login", [("email", "viewer@acme.example"), ("password", Self.password)])
            #expect(signedIn.statusCode == 303)
            let dashboard = try await invitee.follow(signedIn).bodyText
            #expect(dashboard.contains(">Acme Analytics</span>"))
            #expect(!dashboard.contains(#"href="/app/security""#))
            let security = try await invitee.get("/app/security")
            #expect(security.statusCode == 403)
            #expect(security.bodyText.contains(#"<p class="status">403</p>"#))

            let members = try await owner.get("/app/members").bodyText
            #expect(members.contains("Vera Viewer"))

            let reused = try await server.browser().get(path)
            #expect(reused.statusCode == 404)
            #expect(reused.bodyText.contains("form-error") && !reused.bodyText.contains("accept-form"))
        }
    }

    @Test func crossSitePostIsRefusedAndCreatesNothing() async throws {
        try await PortalTestServer.with { server in
            let browser = server.browser()
            _ = try await browser.get("/signup")
            browser.origin = "http://evil.example"
            let response = try await browser.post(
                "/signup",
                [("organisation", "Evil"), ("region", "eu-west-1"), ("email", "evil@evil.example"), ("password", Self.password)]
            )
            #expect(response.statusCode == 403)
            #expect(try await server.tenancy.directory.all().isEmpty)
        }
    }

    @Test func postWithoutCSRFTokenIsRefused() async throws {
        try await PortalTestServer.with { server in
            let browser = server.browser()
            _ = try await browser.get("/signup")
            let response = try await browser.post(
                "/signup",
                [("organisation", "No Token"), ("region", "eu-west-1"), ("email", "x@token.example"), ("password", Self.password)],
                csrf: false
            )
            #expect(response.statusCode == 403)
            #expect(try await server.tenancy.directory.all().isEmpty)
        }
    }

    @Test func suspendingTheTenantEndsItsMembersAccess() async throws {
        try await PortalTestServer.with { server in
            let browser = server.browser()
            try await Self.signUp(browser)
            let operators = server.tenancy.operators
            _ = try await operators.ensureOperator(email: "ops@falaj.example", displayName: "Ops", password: Self.password)
            let token = try await operators.login(email: "ops@falaj.example", password: Self.password, clientAddress: "127.0.0.1")
            let session = try #require(try await operators.session(token))
            let tenant = try #require(try await server.tenancy.directory.all().first)
            try await operators.suspend(session, tenant: tenant.id)
            let after = try await browser.get("/app")
            #expect(after.statusCode != 200)
            #expect(!after.bodyText.contains("active-tenant"))
        }
    }

    @Test func signUpFormKeepsValuesShowsFieldErrorsAndEscapesNames() async throws {
        try await PortalTestServer.with { server in
            let browser = server.browser()
            _ = try await browser.get("/signup")
            let bad = try await browser.post(
                "/signup",
                [("organisation", "Acme \"Quoted\""), ("region", "me-central-1"), ("email", "not-an-address"), ("password", "short")]
            )
            #expect(bad.statusCode == 422)
            let html = bad.bodyText
            #expect(html.contains("not-an-address"))
            #expect(html.contains("Acme &quot;Quoted&quot;"))
            #expect(html.contains(#"<option value="me-central-1" selected>"#))
            #expect(html.components(separatedBy: #"class="field-error""#).count >= 3)
            #expect(!html.contains(#"value="short""#))

            let name = "'; DROP TABLE users;--"
            let dashboard = try await Self.signUp(browser, organisation: name, email: "sql@acme.example")
            #expect(dashboard.contains("DROP TABLE users;--"))
            #expect(!dashboard.contains("<span id=\"active-tenant\" class=\"tenant-name\">'"))
            #expect(try await server.tenancy.directory.all().map(\.displayName) == [name])
        }
    }
}

/// The management pages render for an owner and their forms work.
@Suite("Portal management pages", .serialized)
struct PortalManagementPagesTests {
    @Test func ownerSeesEveryManagementPageAndCreatesAKey() async throws {
        try await PortalTestServer.with { server in
            let browser = server.browser()
            try await PortalPagesTests.signUp(browser)
            for (path, marker) in [
                ("/app/members", #"id="invite-form""#), ("/app/roles", #"id="permission-table""#), ("/app/keys", #"id="key-form""#),
                ("/app/security", #"id="security-form""#), ("/app/account", "logout-everywhere-form"), ("/app/account/mfa", "mfa-start-form"),
            ] {
                let page = try await browser.get(path)
                #expect(page.statusCode == 200, "\(path)")
                #expect(page.bodyText.contains(marker), "\(path) lacks \(marker)")
            }
            _ = try await browser.get("/app/keys")
            let created = try await browser.post("/app/keys", [("name", "CI"), ("permissions", "models.read"), ("expires_days", "")])
            #expect(created.statusCode == 200)
            #expect(created.bodyText.contains(#"<code id="new-api-key" class="secret">falaj_"#))
            let refused = try await browser.post("/app/security", [("session_idle_minutes", "1"), ("session_absolute_hours", "x")])
            #expect(refused.statusCode == 422)
            #expect(refused.bodyText.contains(#"class="field-error""#))
        }
    }

    @Test func operatorSignsInAndCreatesATenantWithAnOwnerInvitation() async throws {
        try await PortalTestServer.with { server in
            _ = try await server.tenancy.operators.ensureOperator(email: "ops@falaj.example", displayName: "Ops", password: PortalPagesTests.password)
            let browser = server.browser()
            #expect(try await browser.get("/operator").header("Location") == "/operator/login")
            _ = try await browser.get("/operator/login")
            let login = try await browser.post("/operator/login", [("email", "ops@falaj.example"), ("password", PortalPagesTests.password)])
            #expect(login.statusCode == 303 && login.header("Location") == "/operator")
            #expect(login.header("Set-Cookie")?.contains("Path=/operator") == true)
            _ = try await browser.get("/operator")
            let created = try await browser.post(
                "/operator/tenants",
                [("organisation", "Gulf Retail"), ("region", "me-central-1"), ("plan", "team"), ("owner_email", "boss@gulf.example")]
            )
            #expect(created.statusCode == 200)
            #expect(created.bodyText.contains(#"id="owner-invite-link""#))
            #expect(created.bodyText.contains("Gulf Retail"))
        }
    }
}
