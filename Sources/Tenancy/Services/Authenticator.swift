public import Foundation
import FalajCrypto
import PostgresClient
public import Residency

/// A member as the portal shows them to themselves.
public struct MemberProfile: Sendable, Equatable {
    /// The user id (per tenant).
    public var id: UUID
    /// The lower-cased e-mail.
    public var email: String
    /// The name.
    public var displayName: String
    /// Whether TOTP is enrolled.
    public var hasMFA: Bool
}

/// A valid session, resolved from its cookie on one request.
public struct SignedInSession: Sendable {
    /// The request context for this request.
    public var context: RequestContext
    /// The token in the cookie.
    public var token: TenantToken
    /// The member.
    public var member: MemberProfile
    /// False while the second factor is still owed; the portal then allows only the MFA challenge.
    public var isMFAVerified: Bool
    /// True when policy requires MFA and the member has not enrolled; the portal then allows only enrolment.
    public var mustEnrolMFA: Bool
}

/// The outcome of a password sign-in.
public struct LoginResult: Sendable {
    /// The new session token for the cookie (its tenant is the active one).
    public var token: TenantToken
    /// Whether the active tenant's account still needs a TOTP or recovery code.
    public var isMFAPending: Bool
}

/// Member sign-in, session resolution, sign-out and tenant switching.
public struct Authenticator: Sendable {
    let environment: TenancyEnvironment

    /// The one message for every failed sign-in: it never says whether the account exists.
    public static let genericFailure = "Incorrect e-mail or password."

    /// Signs in with e-mail and password: routes through the directory's HMAC index to every tenant the address
    /// belongs to, checks the password in each (argon2id, off the cooperative pool), and opens one session per tenant
    /// whose password matched, all with the same token (so the header can switch between them).
    /// - Throws: ``TenancyError/unauthenticated(_:)`` with ``genericFailure``, ``TenancyError/throttled(_:retryAfterSeconds:)``,
    ///   or ``TenancyError/tenantUnavailable(_:)`` when the only matching tenants are suspended.
    public func login(email rawEmail: String, password: String, clientAddress: String, userAgent: String) async throws -> LoginResult {
        let normalized = rawEmail.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let emailKey = environment.secrets.emailKey(normalized)
        let throttle = LoginThrottle(environment: environment)
        try await throttle.check(emailKey: emailKey, address: clientAddress)
        guard password.utf8.count <= 1024, normalized.utf8.count <= 254 else {
            try await throttle.recordFailure(emailKey: emailKey, address: clientAddress)
            throw TenancyError.unauthenticated(Self.genericFailure)
        }
        let routed = try await environment.directory.tenants(forEmailKey: emailKey)
        var matches: [(tenant: TenantSummary, user: UUID, hasMFA: Bool)] = []
        var suspended = false
        var checked = 0
        for tenantID in routed {
            guard let tenant = try await environment.directory.tenant(tenantID) else { continue }
            let account = try await environment.router.withTenantTransaction(tenantID) { connection in
                try await connection.query("SELECT id, password_hash, mfa_secret IS NOT NULL AS has_mfa FROM users WHERE email = \(normalized)").first
            }
            guard let account else { continue }
            checked += 1
            let userID = try account["id", as: UUID.self]
            guard try await Argon2id.verify(password: password, encoded: try account["password_hash", as: String.self]) else {
                try await environment.router.withTenantTransaction(tenantID) { connection in
                    try await AuditLog.record(
                        AuditEvent(actor: .user(userID), action: "member.login_failed", target: "user:\(userID)", outcome: "failure", sourceIP: clientAddress),
                        tenant: tenantID,
                        on: connection
                    )
                }
                continue
            }
            if tenant.isActive {
                matches.append((tenant, userID, try account["has_mfa", as: Bool.self]))
            } else {
                suspended = true
            }
        }
        if checked == 0 {
            // Spend the same time as a real check so response time does not reveal whether the account exists.
            _ = try? await Argon2id.verify(password: password, encoded: Self.timingHash)
        }
        guard let first = matches.first else {
            if suspended { throw TenancyError.tenantUnavailable("Your organisation's access is suspended. Contact the platform operator.") }
            let failures = try await throttle.recordFailure(emailKey: emailKey, address: clientAddress)
            if failures >= LoginThrottle.lockThreshold {
                throw TenancyError.throttled(
                    "\(Self.genericFailure) Sign-in for this account is now locked for \(LoginThrottle.lockSeconds / 60) minutes after repeated failures.",
                    retryAfterSeconds: LoginThrottle.lockSeconds
                )
            }
            throw TenancyError.unauthenticated(Self.genericFailure)
        }
        try await throttle.reset(emailKey: emailKey)
        let token = TenantToken.generate(for: first.tenant.id)
        for match in matches {
            try await environment.router.withTenantTransaction(match.tenant.id) { connection in
                try await Sessions.insert(
                    token: token.retargeted(to: match.tenant.id),
                    user: match.user,
                    isMFAVerified: !match.hasMFA,
                    clientAddress: clientAddress,
                    userAgent: userAgent,
                    on: connection
                )
                try await AuditLog.record(
                    AuditEvent(
                        actor: .user(match.user), action: "member.login", target: "user:\(match.user)", sourceIP: clientAddress,
                        details: ["second_factor": match.hasMFA ? "pending" : "not enrolled"]
                    ),
                    tenant: match.tenant.id,
                    on: connection
                )
            }
        }
        return LoginResult(token: token, isMFAPending: first.hasMFA)
    }

    /// An argon2id hash (OWASP parameters) of a throwaway password, verified when no account exists so that a miss
    /// costs as much time as a wrong password.
    static let timingHash = "$argon2id$v=19$m=19456,t=2,p=1$ZmFsYWp0aW1pbmdzYWx0MQ$vSS0JGnGzzMfWkAuuQjqqDF9AarrK27fc5h5eYDmfbI"

    /// Resolves a cookie's token into a session, refreshing its idle timer.
    /// - Returns: `nil` when the token is unknown, expired or idle too long.
    /// - Throws: ``TenancyError/tenantUnavailable(_:)`` when the tenant is suspended (every session stops at once).
    public func session(_ token: TenantToken, requestID: String, clientAddress: String) async throws -> SignedInSession? {
        guard let tenant = try await environment.directory.tenant(token.tenant) else { return nil }
        guard tenant.isActive else {
            throw TenancyError.tenantUnavailable("\(tenant.displayName) is suspended: sign-in is disabled until a platform operator reactivates it.")
        }
        return try await environment.router.withTenantTransaction(tenant.id) { connection -> SignedInSession? in
            let rows = try await connection.query(
                """
                SELECT s.id AS session_id, s.is_mfa_verified, (s.last_seen_at < now() - interval '1 minute') AS is_stale,
                       u.id AS user_id, u.email, u.display_name, u.mfa_secret IS NOT NULL AS has_mfa, u.mfa_required,
                       m.role, coalesce(t.require_mfa_for_admins, false) AS admin_mfa
                FROM sessions s
                JOIN users u ON u.id = s.user_id
                JOIN memberships m ON m.user_id = u.id
                LEFT JOIN tenant_settings t ON t.tenant_id = s.tenant_id
                WHERE s.token_hash = \(token.hash) AND s.expires_at > now()
                  AND s.last_seen_at > now() - make_interval(mins => coalesce(t.session_idle_minutes, 480))
                """
            )
            guard let row = rows.first else { return nil }
            if try row["is_stale", as: Bool.self] {
                try await connection.execute("UPDATE sessions SET last_seen_at = now() WHERE id = \(try row["session_id", as: UUID.self])")
            }
            let role = try await Roles.resolve(try row["role", as: String.self], on: connection)
            let member = MemberProfile(
                id: try row["user_id", as: UUID.self],
                email: try row["email", as: String.self],
                displayName: try row["display_name", as: String.self],
                hasMFA: try row["has_mfa", as: Bool.self]
            )
            let policyRequiresMFA = try row["mfa_required", as: Bool.self] || (try row["admin_mfa", as: Bool.self] && role.isAdministrative)
            let context = RequestContext(
                tenant: tenant,
                actor: .user(member.id),
                role: role,
                permissions: role.permissions,
                requestID: requestID,
                clientAddress: clientAddress
            )
            return SignedInSession(
                context: context,
                token: token,
                member: member,
                isMFAVerified: try row["is_mfa_verified", as: Bool.self],
                mustEnrolMFA: policyRequiresMFA && !member.hasMFA
            )
        }
    }

    /// The active tenants this sign-in can switch to (every tenant where the same e-mail has an account), the
    /// current one included.
    public func switchableTenants(_ session: SignedInSession) async throws -> [TenantSummary] {
        let ids = try await environment.directory.tenants(forEmailKey: environment.secrets.emailKey(session.member.email))
        return try await environment.directory.activeTenants(ids)
    }

    /// Makes `tenant` the active tenant of this sign-in, when the sign-in opened a session there too.
    /// - Throws: ``TenancyError/notFound(_:)`` when it did not (the member signs in to that tenant separately).
    public func switchTenant(_ session: SignedInSession, to tenant: TenantID, requestID: String) async throws -> TenantToken {
        let target = session.token.retargeted(to: tenant)
        guard try await self.session(target, requestID: requestID, clientAddress: session.context.clientAddress) != nil else {
            throw TenancyError.notFound("That organisation is not part of this sign-in; sign out and sign in with its password")
        }
        return target
    }

    /// Ends this sign-in: deletes the session with this token in every tenant it reached.
    public func logout(_ token: TenantToken, email: String?) async throws {
        var tenants = [token.tenant]
        if let email {
            tenants += try await environment.directory.tenants(forEmailKey: environment.secrets.emailKey(email)).filter { $0 != token.tenant }
        }
        for tenant in tenants {
            try await environment.router.withTenantTransaction(tenant) { connection in
                let ended = try await connection.query("DELETE FROM sessions WHERE token_hash = \(token.retargeted(to: tenant).hash) RETURNING user_id")
                for row in ended {
                    let user = try row["user_id", as: UUID.self]
                    try await AuditLog.record(AuditEvent(actor: .user(user), action: "member.logout", target: "user:\(user)"), tenant: tenant, on: connection)
                }
            }
        }
    }

    /// Ends every session of this member in the active tenant, on every device.
    public func logoutEverywhere(_ session: SignedInSession) async throws {
        try await environment.router.withTenantTransaction(session.context.tenantID) { connection in
            try await Sessions.deleteAll(user: session.member.id, on: connection)
            try await session.context.audit("member.logout_everywhere", target: "user:\(session.member.id)", on: connection)
        }
    }

    /// Replaces the token of a sign-in in every tenant it reached (after the second factor, so a token seen before
    /// it is worthless); marks the active tenant's session verified.
    func rotate(_ token: TenantToken, email: String, markVerified: Bool) async throws -> TenantToken {
        let fresh = TenantToken.generate(for: token.tenant)
        var tenants = [token.tenant]
        tenants += try await environment.directory.tenants(forEmailKey: environment.secrets.emailKey(email)).filter { $0 != token.tenant }
        for tenant in tenants {
            let verified = markVerified && tenant == token.tenant
            try await environment.router.withTenantTransaction(tenant) { connection in
                try await connection.execute(
                    """
                    UPDATE sessions SET token_hash = \(fresh.retargeted(to: tenant).hash),
                        is_mfa_verified = is_mfa_verified OR \(verified), last_seen_at = now()
                    WHERE token_hash = \(token.retargeted(to: tenant).hash)
                    """
                )
            }
        }
        return fresh
    }
}
