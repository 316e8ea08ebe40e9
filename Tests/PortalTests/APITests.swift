import Foundation
import HTTPTypes
@testable import Portal
import PostgresClient
import Residency
import Tenancy
import Testing
import TestSupport
import WebServer

/// The JSON API under `/api/v1`: the OpenAPI document, request validation, isolation and permissions.
@Suite("API", .serialized)
struct APITests {
    @Test func openAPIDocumentListsEveryAPIRouteAndNothingElse() async throws {
        try await PortalTestServer.with { server in
            let response = try await server.browser().api("GET", "/api/v1/openapi.json", bearer: nil)
            #expect(response.statusCode == 200)
            let document = APIFixtures.json(response)
            #expect(document["openapi"] as? String == "3.1.0")
            #expect((document["info"] as? [String: Any])?["title"] != nil)
            let components = document["components"] as? [String: Any]
            let schemes = components?["securitySchemes"] as? [String: Any]
            #expect((schemes?["bearer"] as? [String: Any])?["scheme"] as? String == "bearer")
            let paths = try #require(document["paths"] as? [String: [String: Any]])

            let apiRoutes = server.router.routeTable.filter { $0.pattern.hasPrefix("/api/v1/") && $0.method != .head }
            #expect(apiRoutes.count >= 19)
            for route in apiRoutes {
                let path = OpenAPIDocument.openAPIPath(route.pattern).path
                let operation = paths[path]?[route.method.rawValue.lowercased()] as? [String: Any]
                #expect(operation != nil, "\(route.method.rawValue) \(route.pattern) is missing from the OpenAPI document")
                let responses = operation?["responses"] as? [String: Any] ?? [:]
                for code in ["400", "401", "403", "404", "422"] { #expect(responses[code] != nil, "\(path) lacks \(code)") }
                if case .permission(let permission)? = server.catalog.entry(method: route.method, pattern: route.pattern)?.access {
                    #expect(operation?["x-falaj-permission"] as? String == permission.rawValue)
                    #expect((operation?["security"] as? [[String: Any]])?.first?["bearer"] != nil)
                }
            }
            let routed = Set(apiRoutes.map { "\($0.method.rawValue.lowercased()) \(OpenAPIDocument.openAPIPath($0.pattern).path)" })
            for (path, operations) in paths {
                for method in operations.keys { #expect(routed.contains("\(method) \(path)"), "\(method) \(path) is documented but not routed") }
                for parameter in OpenAPIDocument.openAPIPath(path.replacingOccurrences(of: "{", with: ":").replacingOccurrences(of: "}", with: "")).parameters {
                    for (_, operation) in operations {
                        let names = ((operation as? [String: Any])?["parameters"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                        #expect(names.contains(parameter), "\(path) does not declare parameter \(parameter)")
                    }
                }
            }
        }
    }

    @Test func everyAPIRouteDeclaresPermissionAndDocumentation() async throws {
        try await PortalTestServer.with { server in
            for entry in server.catalog.all where entry.pattern.hasPrefix("/api/") {
                #expect(entry.documentation != nil, "\(entry.method.rawValue) \(entry.pattern) has no documentation")
                let isPublic = ["/api/v1/regions", "/api/v1/signup", "/api/v1/openapi.json"].contains(entry.pattern)
                #expect(isPublic == (entry.access == .anyone || entry.access == .open), "\(entry.pattern) declares \(entry.access)")
            }
        }
    }

    @Test func meRegionsAndPermissionTableDescribeTheCaller() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Alpha")
            let browser = server.browser()
            let me = APIFixtures.json(try await browser.api("GET", "/api/v1/me", bearer: a.key))
            #expect((me["tenant"] as? [String: Any])?["id"] as? String == a.tenant.id.description)
            #expect((me["actor"] as? [String: Any])?["kind"] as? String == "api_key")
            #expect((me["permissions"] as? [String])?.count == Permission.allCases.count)
            let regions = APIFixtures.json(try await browser.api("GET", "/api/v1/regions", bearer: nil))
            #expect((regions["items"] as? [Any])?.isEmpty == false)
            let table = APIFixtures.json(try await browser.api("GET", "/api/v1/permissions", bearer: a.key))
            let roles = table["roles"] as? [[String: Any]] ?? []
            #expect(roles.count == BuiltInRole.allCases.count)
            for role in BuiltInRole.allCases {
                let listed = roles.first { $0["key"] as? String == role.rawValue }?["permissions"] as? [String]
                #expect(Set(listed ?? []) == Set(role.permissions.map(\.rawValue)))
            }
        }
    }

    @Test func signUpCreatesTenantAndReturnsNoSession() async throws {
        try await PortalTestServer.with { server in
            let body = #"{"organisation":"Gamma Labs","region":"\#(TenancyTestEnvironment.regions[0].id)","email":"founder@gamma.example","password":"\#(APIFixtures.password)"}"#
            let response = try await server.browser().api("POST", "/api/v1/signup", json: body, bearer: nil)
            #expect(response.statusCode == 201)
            #expect(response.header("Set-Cookie") == nil)
            let tenant = APIFixtures.json(response)["tenant"] as? [String: Any]
            #expect(tenant?["display_name"] as? String == "Gamma Labs")
            #expect(tenant?["plan"] as? String == "free")
            #expect(!response.bodyText.contains("session"))
        }
    }

    @Test func createdObjectsRoundTripThroughTheAPI() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Delta", plan: "enterprise")
            let browser = server.browser()
            let invited = try await browser.api("POST", "/api/v1/invitations", json: #"{"email":"new@delta.example","role":"viewer"}"#, bearer: a.key)
            #expect(invited.statusCode == 201)
            let invitation = APIFixtures.json(invited)
            #expect((invitation["accept_link"] as? String)?.contains("/invitations/") == true)
            let listed = try await browser.api("GET", "/api/v1/invitations", bearer: a.key)
            #expect(listed.bodyText.contains("new@delta.example") && !listed.bodyText.contains("accept_link"))
            let revoked = try await browser.api("DELETE", "/api/v1/invitations/\(invitation["id"] as! String)", bearer: a.key)
            #expect(revoked.statusCode == 204)

            let role = try await browser.api("POST", "/api/v1/roles", json: #"{"name":"Data steward","permissions":["data.read"]}"#, bearer: a.key)
            #expect(role.statusCode == 201)
            let key = APIFixtures.json(role)["key"] as! String
            #expect(try await browser.api("DELETE", "/api/v1/roles/\(key)", bearer: a.key).statusCode == 204)

            let settings = #"{"session_idle_minutes":60,"session_absolute_hours":24,"require_mfa_for_admins":true,"allowed_email_domains":["Delta.example"]}"#
            let put = try await browser.api("PUT", "/api/v1/security-settings", json: settings, bearer: a.key)
            #expect(put.statusCode == 200)
            #expect((APIFixtures.json(put)["allowed_email_domains"] as? [String]) == ["delta.example"])
            let got = APIFixtures.json(try await browser.api("GET", "/api/v1/security-settings", bearer: a.key))
            #expect(got["session_idle_minutes"] as? Int == 60 && got["require_mfa_for_admins"] as? Bool == true)
        }
    }
}
