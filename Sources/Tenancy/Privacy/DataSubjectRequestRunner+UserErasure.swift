import FalajCrypto
import Foundation
import PostgresClient
import Residency

extension DataSubjectRequestRunner {
    /// The steps of erasing one person, in order.
    static let userErasureSteps = ["routes_removed", "done"]

    /// Erases one person in two steps.
    ///
    /// 1. `routes_removed`: the directory's login route (keyed by the HMAC of the *original* e-mail, computed before
    ///    it is replaced) and the routes of their API keys are deleted, so they can no longer sign in anywhere.
    /// 2. `done`: in one cell transaction, sessions, API keys, MFA recovery codes and the membership are deleted,
    ///    pending invitations and outgoing messages addressed to them go, and the account row keeps only its id:
    ///    e-mail `erased-<id>@erased.invalid`, name "Erased user", a password hash of a random secret nobody knows,
    ///    no MFA. Audit rows keep the pseudonymous actor id (they hold no names). Audited `privacy.user_erased`.
    func eraseUser(_ request: DataSubjectRequest, tenant: TenantID) async throws {
        guard let user = request.subjectUserID else { return }
        let erasedEmail = "erased-\(user.uuidString.lowercased())@erased.invalid"
        if request.step == "requested" {
            try checkpoint(request, "remove_routes")
            let found = try await router.withTenantTransaction(tenant) { connection in
                let email = try await connection.query("SELECT email FROM users WHERE id = \(user)").first.map { try $0["email", as: String.self] }
                let prefixes = try await connection.query("SELECT prefix FROM api_keys WHERE user_id = \(user)").map { try $0["prefix", as: String.self] }
                return (email, prefixes)
            }
            let emailKey = found.0.flatMap { $0 == erasedEmail ? nil : environment.secrets.emailKey($0) }
            try await router.directory.withTransaction { connection in
                if let emailKey {
                    try await connection.execute("DELETE FROM login_routes WHERE email_hmac = \(Data(emailKey)) AND tenant_id = \(tenant.rawValue)")
                }
                try await connection.execute("DELETE FROM api_key_routes WHERE prefix = ANY(\(found.1)) AND tenant_id = \(tenant.rawValue)")
            }
            environment.apiKeyCache.invalidate(tenant: tenant.rawValue)
            try await router.withTenantTransaction(tenant) { connection in try await Self.complete("routes_removed", of: request, on: connection) }
        }
        try checkpoint(request, "scrub")
        // A hash of 32 random bytes nobody knows keeps the column valid for the login code while matching no password.
        let unusableHash = try await Argon2id.hash(password: SecureRandom.token())
        try await router.withTenantTransaction(tenant) { connection in
            let email = try await connection.query("SELECT email FROM users WHERE id = \(user) FOR UPDATE").first.map { try $0["email", as: String.self] }
            if let email, email != erasedEmail {
                try await connection.execute("DELETE FROM invitations WHERE email = \(email) AND accepted_at IS NULL")
                try await connection.execute("DELETE FROM outbox WHERE recipient = \(email)")
            }
            try await connection.execute("DELETE FROM sessions WHERE user_id = \(user)")
            try await connection.execute("DELETE FROM api_keys WHERE user_id = \(user)")
            try await connection.execute("DELETE FROM mfa_recovery_codes WHERE user_id = \(user)")
            try await connection.execute("DELETE FROM memberships WHERE user_id = \(user)")
            try await connection.execute(
                """
                UPDATE users SET email = \(erasedEmail), display_name = 'Erased user', password_hash = \(unusableHash),
                    mfa_secret = NULL, mfa_pending_secret = NULL, mfa_last_step = NULL, mfa_required = false
                WHERE id = \(user)
                """
            )
            let event = AuditEvent(
                actor: .system, action: "privacy.user_erased", target: "user:\(user.uuidString.lowercased())",
                details: ["request": request.id.uuidString.lowercased()]
            )
            try await Self.finish(request, tenant: tenant, event: event, on: connection)
        }
    }
}
