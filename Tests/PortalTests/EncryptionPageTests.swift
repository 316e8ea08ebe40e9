import Foundation
import TestSupport
import Testing

/// The encryption page as an owner uses it: no key before the first file, rotation creates one and is audited.
@Suite struct EncryptionPageTests {
    @Test func ownerRotatesTheDataKeyAndSeesItsIdButNoKeyMaterial() async throws {
        try await PortalTestServer.with { server in
            let browser = server.browser()
            let dashboard = try await PortalPagesTests.signUp(browser, organisation: "Key Holders", email: "keys@acme.example")
            #expect(dashboard.contains("href=\"/app/encryption\""))
            let before = try await browser.get("/app/encryption")
            #expect(before.statusCode == 200)
            #expect(before.bodyText.contains("No data key yet"))
            let rotated = try await browser.follow(try await browser.post("/app/encryption/rotate", []))
            #expect(rotated.statusCode == 200)
            #expect(rotated.bodyText.contains("A new data key now encrypts new files"))
            #expect(rotated.bodyText.contains("id=\"data-keys\""))
            #expect(rotated.bodyText.contains(">current<"))
            #expect(!rotated.bodyText.lowercased().contains("wrapped"))
        }
    }
}
