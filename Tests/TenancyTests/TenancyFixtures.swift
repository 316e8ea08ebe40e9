import Foundation
import Residency
import Tenancy
import TestSupport

/// Builds tenants and members through the real services, the way users create them.
struct TenancyFixtures {
    let services: TenancyServices
    static let password = "correct-horse-battery-staple-42"

    /// Signs up a tenant and returns the owner's signed-in session.
    func tenant(_ name: String, region: String = "eu-west-1", plan: String = "free") async throws -> SignedInSession {
        let email = "owner-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        let result = try await services.signUp.signUp(SignUpForm(organisation: name, region: region, email: email, password: Self.password, plan: plan))
        return try await session(result.session)
    }

    /// Resolves a token into a session (fails the test when it does not resolve).
    func session(_ token: TenantToken) async throws -> SignedInSession {
        guard let session = try await services.authenticator.session(token, requestID: "test", clientAddress: "127.0.0.1") else {
            throw FixtureError("session did not resolve")
        }
        return session
    }

    /// Invites a new member with `role`, accepts, signs them in, and returns their session.
    func member(of owner: SignedInSession, role: String, email: String? = nil) async throws -> SignedInSession {
        let email = email ?? "\(role)-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        let created = try await services.members.invite(owner.context, email: email, roleKey: role, baseURL: "http://test")
        _ = try await services.members.accept(created.token, displayName: "Member \(role)", password: Self.password)
        let login = try await services.authenticator.login(email: email, password: Self.password, clientAddress: "10.0.0.\(Int.random(in: 1...200))", userAgent: "test")
        return try await session(login.token.retargeted(to: owner.context.tenantID))
    }

    /// A platform operator's session.
    func operatorSession() async throws -> OperatorSession {
        let email = "op-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        try await services.operators.ensureOperator(email: email, displayName: "Operator", password: Self.password)
        let token = try await services.operators.login(email: email, password: Self.password, clientAddress: "127.0.0.1")
        guard let session = try await services.operators.session(token) else { throw FixtureError("operator session did not resolve") }
        return session
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension TenantToken {
    /// Test access to the same secret under another tenant.
    func retargeted(to tenant: TenantID) -> TenantToken { TenantToken("\(tenant).\(String(description.split(separator: ".")[1]))")! }
}
