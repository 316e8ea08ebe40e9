public import Foundation
import FalajCrypto
import PostgresClient
public import Residency

/// A signed-in platform operator.
public struct OperatorSession: Sendable, Equatable {
    /// The operator's id.
    public var id: UUID
    /// Their e-mail.
    public var email: String
    /// Their name.
    public var displayName: String
}

/// A tenant as the operator console lists it: directory facts plus a member count (no tenant data).
public struct TenantOverview: Sendable, Equatable {
    /// The directory entry.
    public var tenant: TenantSummary
    /// How many members it has.
    public var memberCount: Int
}

/// Platform operators: their accounts and sessions live in the directory; they create, suspend and reactivate
/// tenants but never read tenant data.
public struct Operators: Sendable {
    let environment: TenancyEnvironment

    /// Hours an operator session lasts.
    public static let sessionHours = 12

    /// Creates an operator account unless one with this e-mail exists; returns whether it created one.
    @discardableResult
    public func ensureOperator(email rawEmail: String, displayName: String, password: String) async throws -> Bool {
        let email: EmailAddress
        do { email = try EmailAddress(rawEmail) } catch { throw fieldError(error) }
        let exists = try await environment.router.directory.withConnection { connection in
            try await !connection.query("SELECT 1 FROM operators WHERE email = \(email.normalized)").isEmpty
        }
        if exists { return false }
        do { try environment.passwords.check(password, email: email) } catch { throw fieldError(error) }
        let hash = try await Argon2id.hash(password: password)
        return try await environment.router.directory.withConnection { connection in
            try await connection.execute(
                "INSERT INTO operators (id, email, display_name, password_hash) VALUES (\(UUID()), \(email.normalized), \(displayName), \(hash)) ON CONFLICT (email) DO NOTHING"
            ) == 1
        }
    }

    /// Signs an operator in; returns the session token for the `falaj_operator` cookie. Throttled like member sign-in.
    public func login(email rawEmail: String, password: String, clientAddress: String) async throws -> String {
        let normalized = rawEmail.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let key = environment.secrets.emailKey("operator:" + normalized)
        let throttle = LoginThrottle(environment: environment)
        try await throttle.check(emailKey: key, address: clientAddress)
        let row = try await environment.router.directory.withConnection { connection in
            try await connection.query("SELECT id, password_hash FROM operators WHERE email = \(normalized) AND disabled_at IS NULL").first
        }
        let isValid: Bool
        if let row, password.utf8.count <= 1024 {
            isValid = try await Argon2id.verify(password: password, encoded: try row["password_hash", as: String.self])
        } else {
            _ = try? await Argon2id.verify(password: password, encoded: Authenticator.timingHash)
            isValid = false
        }
        guard isValid, let row else {
            try await throttle.recordFailure(emailKey: key, address: clientAddress)
            throw TenancyError.unauthenticated(Authenticator.genericFailure)
        }
        try await throttle.reset(emailKey: key)
        let token = SecureRandom.token(byteCount: 32)
        try await environment.router.directory.withConnection { connection in
            try await connection.execute(
                """
                INSERT INTO operator_sessions (id, token_hash, operator_id, expires_at)
                VALUES (\(UUID()), \(tokenHash(token)), \(try row["id", as: UUID.self]), now() + make_interval(hours => \(Self.sessionHours)::int))
                """
            )
        }
        return token
    }

    /// The operator behind a cookie token, or `nil`.
    public func session(_ token: String) async throws -> OperatorSession? {
        guard token.utf8.count == 43 else { return nil }
        return try await environment.router.directory.withConnection { connection in
            try await connection.query(
                """
                UPDATE operator_sessions s SET last_seen_at = now() FROM operators o
                WHERE s.token_hash = \(tokenHash(token)) AND s.expires_at > now() AND s.last_seen_at > now() - interval '1 hour'
                  AND o.id = s.operator_id AND o.disabled_at IS NULL
                RETURNING o.id, o.email, o.display_name
                """
            ).first.map { OperatorSession(id: try $0["id", as: UUID.self], email: try $0["email", as: String.self], displayName: try $0["display_name", as: String.self]) }
        }
    }

    /// Ends an operator session.
    public func logout(_ token: String) async throws {
        try await environment.router.directory.withConnection { connection in
            try await connection.execute("DELETE FROM operator_sessions WHERE token_hash = \(tokenHash(token))")
        }
    }

    /// Every tenant with its member count (a count per cell transaction; no member data leaves the cell).
    public func tenants(_ session: OperatorSession) async throws -> [TenantOverview] {
        var result: [TenantOverview] = []
        for tenant in try await environment.directory.all() {
            let count = try await environment.router.withTenantTransaction(tenant.id) { connection in
                try await connection.query("SELECT count(*) AS n FROM memberships")[0]["n", as: Int.self]
            }
            result.append(TenantOverview(tenant: tenant, memberCount: count))
        }
        return result
    }

    /// Suspends a tenant: every session and API key of it stops working on the next request.
    public func suspend(_ session: OperatorSession, tenant: TenantID) async throws {
        guard try await environment.directory.setStatus(tenant, to: "suspended") else { throw TenancyError.notFound("No such tenant") }
        environment.apiKeyCache.invalidate(tenant: tenant.rawValue)
        try await audit(session, "tenant.suspended", tenant: tenant)
    }

    /// Reactivates a suspended tenant.
    public func reactivate(_ session: OperatorSession, tenant: TenantID) async throws {
        guard try await environment.directory.setStatus(tenant, to: "active") else { throw TenancyError.notFound("No such tenant") }
        environment.apiKeyCache.invalidate(tenant: tenant.rawValue)
        try await audit(session, "tenant.reactivated", tenant: tenant)
    }

    /// Records an operator action in the tenant's own audit trail.
    private func audit(_ session: OperatorSession, _ action: String, tenant: TenantID, details: [String: String] = [:]) async throws {
        try await environment.router.withTenantTransaction(tenant) { connection in
            try await AuditLog.record(
                AuditEvent(actor: .platformOperator(session.id), action: action, target: "tenant:\(tenant)", details: details),
                tenant: tenant,
                on: connection
            )
        }
    }

    /// Creates a tenant for a customer: the directory entry, its settings, and an owner invitation whose link the
    /// operator passes on (the operator never sets or sees the owner's password).
    public func createTenant(
        _ session: OperatorSession,
        organisation rawName: String,
        region: String,
        plan: String,
        ownerEmail rawEmail: String,
        baseURL: String
    ) async throws -> (tenant: TenantSummary, invitation: TenantToken) {
        var errors: [String: String] = [:]
        var name = ""
        do { name = try DisplayName.validate(rawName, field: "organisation") } catch { errors[error.field] = error.message }
        var email: EmailAddress?
        do { email = try EmailAddress(rawEmail) } catch { errors["owner_email"] = error.message }
        if (try? environment.router.cell(for: region)) == nil { errors["region"] = "Choose one of the listed regions" }
        if !["free", "team", "enterprise"].contains(plan) { errors["plan"] = "Choose the free, team or enterprise plan" }
        guard errors.isEmpty, let email else { throw TenancyError.invalidFields(errors) }
        let tenant = TenantID.generate()
        let slug = try await environment.directory.availableSlug(for: name)
        try await environment.directory.insertProvisioning(id: tenant, slug: slug, displayName: name, region: region, plan: plan)
        environment.router.remember(tenant, homeRegion: region)
        let token = TenantToken.generate(for: tenant)
        do {
            try await environment.router.withTenantTransaction(tenant) { connection in
                try await connection.execute("INSERT INTO tenant_settings (tenant_id) VALUES (\(tenant.rawValue))")
                try await connection.execute(
                    """
                    INSERT INTO invitations (tenant_id, id, email, role, token_hash, invited_by, expires_at)
                    VALUES (\(tenant.rawValue), \(UUID()), \(email.normalized), 'owner', \(token.hash), \(session.id),
                            now() + make_interval(days => \(Members.invitationLifetimeDays)::int))
                    """
                )
                try await connection.execute(
                    """
                    INSERT INTO outbox (tenant_id, id, kind, recipient, subject, body)
                    VALUES (\(tenant.rawValue), \(UUID()), 'invitation', \(email.normalized), \("Your Falaj organisation \(name) is ready"),
                            \("Set your password and sign in: \(baseURL)/invitations/\(token)"))
                    """
                )
                try await AuditLog.record(
                    AuditEvent(actor: .platformOperator(session.id), action: "tenant.created", target: "tenant:\(tenant)", details: ["region": region, "plan": plan, "via": "operator"]),
                    tenant: tenant,
                    on: connection
                )
            }
            try await environment.directory.activate(tenant, ownerEmailKey: nil)
        } catch {
            try? await environment.directory.removeProvisioning(tenant)
            environment.router.forget(tenant)
            throw error
        }
        guard let summary = try await environment.directory.tenant(tenant) else { throw TenancyError.notFound("The new tenant vanished") }
        return (summary, token)
    }
}
