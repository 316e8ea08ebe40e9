import Foundation
import HTTPTypes
@testable import Portal
import Residency
import PostgresClient
import Residency
import Tenancy
import TestSupport
import WebServer

/// A tenant built for API tests: its owner's session context and an API key holding every owner permission.
struct APITestTenant {
    var tenant: TenantSummary
    var owner: RequestContext
    var ownerEmail: String
    var key: String
}

/// Builders shared by the API tests. Every test makes its own tenants on a fresh ``PortalTestServer``.
enum APIFixtures {
    static let password = "Tangerine-Harbour-Lantern-93"

    /// Signs up an organisation and returns its owner's context and an all-permissions key.
    static func tenant(_ server: PortalTestServer, name: String, plan: String = "free") async throws -> APITestTenant {
        let email = "owner@\(name.lowercased()).example"
        let result = try await server.tenancy.signUp.signUp(
            SignUpForm(organisation: name, region: TenancyTestEnvironment.regions[0].id, email: email, password: password, plan: plan)
        )
        let owner = try await server.tenancy.authenticator.session(result.session, requestID: "t", clientAddress: "127.0.0.1")!.context
        let key = try await self.key(server, owner, permissions: Permission.allCases)
        return APITestTenant(tenant: result.tenant, owner: owner, ownerEmail: email, key: key)
    }

    /// An API key's secret for `context` with `permissions`.
    static func key(_ server: PortalTestServer, _ context: RequestContext, permissions: [Permission], name: String = "test key") async throws -> String {
        try await server.tenancy.apiKeys.create(context, name: name, permissions: permissions.map(\.rawValue), expiresInDays: nil).secret
    }

    /// Invites `email` with `role`, accepts, signs in, and returns the new member's session context.
    static func member(_ server: PortalTestServer, _ owner: RequestContext, email: String, role: String) async throws -> RequestContext {
        let invitation = try await server.tenancy.members.invite(owner, email: email, roleKey: role, baseURL: "http://test")
        _ = try await server.tenancy.members.accept(invitation.token, displayName: "Member \(role)", password: password)
        let login = try await server.tenancy.authenticator.login(email: email, password: password, clientAddress: "127.0.0.1", userAgent: "test")
        return try await server.tenancy.authenticator.session(login.token, requestID: "t", clientAddress: "127.0.0.1")!.context
    }

    /// The JSON object of a response body.
    static func json(_ response: HTTPTestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
    }

    /// A concrete path for a route pattern, with `values` for its parameters (random UUIDs for unnamed `:id`s).
    static func path(_ pattern: String, values: [String: String] = [:]) -> String {
        pattern.split(separator: "/", omittingEmptySubsequences: false).map { segment -> String in
            guard segment.hasPrefix(":") else { return String(segment) }
            let name = String(segment.dropFirst())
            return values[name] ?? (name == "id" ? UUID().uuidString.lowercased() : "custom-nothing-here")
        }.joined(separator: "/")
    }

    /// A minimal JSON body that matches `schema`: strings "sample", integers 30, numbers 0.5, booleans false, empty arrays.
    static func sampleBody(_ schema: JSONValue?) -> String? {
        guard let schema else { return nil }
        let data = try! JSONEncoder().encode(sample(schema))
        return String(decoding: data, as: UTF8.self)
    }

    private static func sample(_ schema: JSONValue) -> JSONValue {
        var type = schema["type"]
        if case .array(let types)? = type { type = types.first }
        switch type {
        case .string("object")?:
            guard case .object(let properties)? = schema["properties"] else { return [:] }
            return .object(properties.mapValues(sample))
        case .string("array")?: return []
        case .string("integer")?: return 30
        case .string("number")?: return .number(0.5)
        case .string("boolean")?: return false
        default: return "sample"
        }
    }
}
