import Foundation
import HTTPTypes
import TestSupport
@testable import Portal
import Tenancy
import Testing

/// Every page a member can open is allowed or refused with 403 exactly as the single permission table says.
@Suite struct PagePermissionMatrixTests {
    @Test func everyPageFollowsThePermissionTableForEveryBuiltInRole() async throws {
        try await PortalTestServer.with { server in
            let tenancy = server.tenancy
            let signUp = try await tenancy.signUp.signUp(
                SignUpForm(organisation: "Matrix Pages", region: "eu-west-1", email: "owner@matrix.example", password: "correct-horse-battery-staple-42")
            )
            let owner = try #require(try await tenancy.authenticator.session(signUp.session, requestID: "t", clientAddress: "127.0.0.1"))
            let pages = server.catalog.all.filter { entry in
                entry.method == .get && !entry.pattern.hasPrefix("/api/") && !entry.pattern.contains(":") && entry.access.permission != nil
            }
            #expect(pages.count >= 6, "pages: \(pages.map(\.pattern))")
            for role in BuiltInRole.allCases {
                let token: TenantToken
                if role == .owner {
                    token = signUp.session
                } else {
                    let email = "\(role.rawValue)@matrix.example"
                    let invitation = try await tenancy.members.invite(owner.context, email: email, roleKey: role.rawValue, baseURL: "http://x")
                    _ = try await tenancy.members.accept(invitation.token, displayName: role.displayName, password: "correct-horse-battery-staple-42")
                    token = try await tenancy.authenticator.login(email: email, password: "correct-horse-battery-staple-42", clientAddress: "10.1.1.1", userAgent: "test").token
                }
                let browser = server.browser()
                browser.setCookie("falaj_session", token.description)
                for page in pages {
                    let response = try await browser.get(page.pattern)
                    let permission = try #require(page.access.permission)
                    let label = "\(role.rawValue) GET \(page.pattern) → \(response.statusCode)"
                    if role.permissions.contains(permission) {
                        #expect(response.statusCode == 200, "\(label)")
                    } else {
                        #expect(response.statusCode == 403, "\(label)")
                        #expect(response.bodyText.contains(#"<p class="status">403</p>"#), "\(label): the portal's 403 page")
                    }
                }
                // Signed out, every such page sends the browser to sign in instead.
                let anonymous = server.browser()
                for page in pages {
                    let response = try await anonymous.get(page.pattern)
                    #expect(response.statusCode == 303 && response.header("Location")?.hasPrefix("/login") == true, "anonymous GET \(page.pattern)")
                }
            }
        }
    }
}
