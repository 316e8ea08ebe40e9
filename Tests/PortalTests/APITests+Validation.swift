import Foundation
import HTTPTypes
@testable import Portal
import PostgresClient
import Residency
import Tenancy
import Testing
import TestSupport
import WebServer

extension APITests {
    @Test func malformedBodiesGetClearErrorsAndCreateNothing() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Strict", plan: "enterprise")
            let browser = server.browser()
            let cases: [(method: String, path: String, body: String, status: Int, mention: String)] = [
                ("POST", "/api/v1/invitations", "{", 400, "not valid JSON"),
                ("POST", "/api/v1/invitations", "[1,2]", 400, "JSON object"),
                ("POST", "/api/v1/invitations", #"{"email":"x@strict.example"}"#, 400, "'role' is missing"),
                ("POST", "/api/v1/invitations", #"{"email":5,"role":"viewer"}"#, 400, "'email' must be a string"),
                ("POST", "/api/v1/invitations", #"{"email":null,"role":"viewer"}"#, 400, "'email'"),
                ("POST", "/api/v1/roles", #"{"name":"x","permissions":"data.read"}"#, 400, "'permissions' must be an array"),
                ("POST", "/api/v1/roles", #"{"name":"x","permissions":[1]}"#, 400, "'permissions[0]' must be a string"),
                ("POST", "/api/v1/roles", #"{"name":"x","permissions":["nuke.all"]}"#, 422, "nuke.all"),
                ("POST", "/api/v1/roles", #"{"name":"\#(String(repeating: "n", count: 61))","permissions":["data.read"]}"#, 422, "\"name\""),
                ("POST", "/api/v1/api-keys", #"{"name":"k","permissions":["data.read"],"expires_in_days":"soon"}"#, 400, "'expires_in_days' must be a number"),
                ("PUT", "/api/v1/security-settings", #"{"session_idle_minutes":60}"#, 400, "is missing"),
                ("PUT", "/api/v1/security-settings", #"{"session_idle_minutes":1,"session_absolute_hours":24,"require_mfa_for_admins":false,"allowed_email_domains":[]}"#, 422, "session_idle_minutes"),
                ("PATCH", "/api/v1/members/\(a.owner.actor.userID!)", #"{"role":7}"#, 400, "'role' must be a string"),
                ("POST", "/api/v1/signup", #"{"organisation":"O","region":"r","email":"e"}"#, 400, "'password' is missing"),
            ]
            for item in cases {
                let response = try await browser.api(item.method, item.path, json: item.body, bearer: a.key)
                let label = "\(item.method) \(item.path) \(item.body.prefix(60)) → \(response.statusCode) \(response.bodyText)"
                #expect(response.statusCode == item.status, "\(label)")
                #expect(response.header("Content-Type") == "application/problem+json", "\(label)")
                #expect(response.bodyText.contains(item.mention), "\(label)")
                if response.statusCode == 422 { #expect(APIFixtures.json(response)["errors"] is [String: String], "\(label)") }
            }
            // Wrong content type and oversized bodies.
            let form = try await browser.request("POST", "/api/v1/roles", headers: [("Authorization", "Bearer \(a.key)"), ("Content-Type", "text/plain")], body: Array("{}".utf8))
            #expect(form.statusCode == 415)
            let huge = #"{"name":"\#(String(repeating: "x", count: 70_000))","permissions":[]}"#
            #expect(try await browser.api("POST", "/api/v1/roles", json: huge, bearer: a.key).statusCode == 413)
            #expect(try await server.tenancy.roles.list(a.owner).count == BuiltInRole.allCases.count)
            #expect(try await server.tenancy.members.pendingInvitations(a.owner).isEmpty)
        }
    }

    @Test func sqlMetaCharactersAreRefusedOrStoredVerbatim() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Bobby", plan: "enterprise")
            let browser = server.browser()
            let nasty = #"x'); DROP TABLE users; --\"#
            let escaped = nasty.replacingOccurrences(of: "\\", with: "\\\\")
            let refused: [(String, String, String, String)] = [
                ("POST", "/api/v1/invitations", #"{"email":"\#(escaped)","role":"viewer"}"#, "email"),
                ("POST", "/api/v1/invitations", #"{"email":"ok@bobby.example","role":"\#(escaped)"}"#, "role"),
                ("POST", "/api/v1/roles", #"{"name":"Steward","permissions":["\#(escaped)"]}"#, "permissions"),
                ("PUT", "/api/v1/security-settings", #"{"session_idle_minutes":60,"session_absolute_hours":24,"require_mfa_for_admins":false,"allowed_email_domains":["\#(escaped)"]}"#, "allowed_email_domains"),
                ("POST", "/api/v1/signup", #"{"organisation":"Org","region":"\#(escaped)","email":"\#(escaped)","password":"\#(APIFixtures.password)"}"#, "region"),
                ("PATCH", "/api/v1/members/\(a.owner.actor.userID!)", #"{"role":"\#(escaped)"}"#, "role"),
            ]
            for (method, path, body, field) in refused {
                let response = try await browser.api(method, path, json: body, bearer: a.key)
                #expect(response.statusCode == 422, "\(method) \(path) → \(response.statusCode) \(response.bodyText)")
                #expect((APIFixtures.json(response)["errors"] as? [String: String])?[field] != nil, "\(path) names \(field): \(response.bodyText)")
            }
            #expect(try await server.tenancy.members.pendingInvitations(a.owner).isEmpty)
            #expect(try await server.tenancy.roles.list(a.owner).count == BuiltInRole.allCases.count)
            #expect(try await server.tenancy.security.get(a.owner).allowedEmailDomains.isEmpty)
            #expect(try await server.tenancy.members.list(a.owner).first?.role.key == "owner")

            // Free text is only text: stored verbatim through bound parameters, and the tables are intact.
            let role = try await browser.api("POST", "/api/v1/roles", json: #"{"name":"\#(escaped)","permissions":["data.read"]}"#, bearer: a.key)
            #expect(role.statusCode == 201)
            #expect(APIFixtures.json(role)["display_name"] as? String == nasty)
            #expect(try await server.tenancy.members.list(a.owner).count == 1)
        }
    }
}
