import Foundation
import Residency
import Tenancy
import TestSupport
import Testing

@Suite struct RetentionAPITests {
    @Test func adminsSetRetentionDaysWithValidationAndAnAuditRow() async throws {
        try await PortalTestServer.with { server in
            let tenancy = server.tenancy
            let signUp = try await tenancy.signUp.signUp(
                SignUpForm(organisation: "Retention Co", region: "eu-west-1", email: "owner@retention.example", password: "correct-horse-battery-staple-42")
            )
            let owner = try #require(try await tenancy.authenticator.session(signUp.session, requestID: "t", clientAddress: "127.0.0.1"))
            let admin = try await tenancy.apiKeys.create(owner.context, name: "admin", permissions: ["security.manage", "tenant.read"], expiresInDays: 1)
            let reader = try await tenancy.apiKeys.create(owner.context, name: "reader", permissions: ["tenant.read"], expiresInDays: 1)
            let browser = server.browser()

            let initial = try await browser.api("GET", "/api/v1/privacy/retention", bearer: reader.secret)
            #expect(initial.statusCode == 200 && initial.bodyText.contains(#""category":"sessions","days":30,"is_custom":false"#), "\(initial.bodyText)")

            let updated = try await browser.api("PUT", "/api/v1/privacy/retention", json: #"{"days":{"sessions":14}}"#, bearer: admin.secret)
            #expect(updated.statusCode == 200 && updated.bodyText.contains(#""category":"sessions","days":14,"is_custom":true"#), "\(updated.bodyText)")

            let invalid = try await browser.api("PUT", "/api/v1/privacy/retention", json: #"{"days":{"sessions":0,"gossip":5}}"#, bearer: admin.secret)
            #expect(invalid.statusCode == 422 && invalid.bodyText.contains("gossip") && invalid.bodyText.contains("3650"), "\(invalid.bodyText)")
            #expect(try await browser.api("PUT", "/api/v1/privacy/retention", json: #"{"days":{"sessions":7}}"#, bearer: reader.secret).statusCode == 403)

            let after = try await tenancy.retention.policies(owner.context).first { $0.category.id == "sessions" }
            #expect(after?.days == 14)
            let audited = try await tenancy.audit.events(owner.context, AuditFilter(actionPrefix: "privacy.retention_changed"))
            #expect(audited.count == 1 && audited.first?.details == ["sessions": "14"])
        }
    }
}
