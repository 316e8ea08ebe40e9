public import Foundation
import FalajCrypto
import PostgresClient
import Residency

/// An invitation not yet accepted.
public struct PendingInvitation: Sendable, Equatable {
    /// Its id.
    public var id: UUID
    /// Who is invited.
    public var email: String
    /// The role they will get.
    public var roleKey: String
    /// When the link stops working.
    public var expiresAt: Date
}

/// A new invitation and the secret token of its link (shown once to the admin; only a hash is stored).
public struct CreatedInvitation: Sendable {
    /// The invitation.
    public var invitation: PendingInvitation
    /// The token for `/invitations/<token>`.
    public var token: TenantToken
}

/// What the accept page shows before the invitee sets a password.
public struct InvitationPreview: Sendable {
    /// The organisation.
    public var tenant: TenantSummary
    /// The invited address.
    public var email: String
    /// The role's display name.
    public var roleName: String
}

extension Members {
    /// Invites `email` with `roleKey`; the link is written to the outbox (delivery arrives with alerts) and returned.
    /// - Throws: field errors (bad address, a domain outside the tenant's allowed list, unknown role), forbidden
    ///   (granting more than one has), conflict (already a member).
    public func invite(_ context: RequestContext, email rawEmail: String, roleKey: String, baseURL: String) async throws -> CreatedInvitation {
        try context.require(.membersManage)
        let inviter = try context.requireUser()
        let email: EmailAddress
        do { email = try EmailAddress(rawEmail) } catch { throw fieldError(error) }
        let token = TenantToken.generate(for: context.tenantID)
        let id = UUID()
        let expires = Date().addingTimeInterval(TimeInterval(Self.invitationLifetimeDays * 86_400))
        let role = try await environment.router.withTenantTransaction(context.tenantID) { connection in
            let domains = try await connection.query("SELECT allowed_email_domains FROM tenant_settings").first?["allowed_email_domains", as: [String].self] ?? []
            if !domains.isEmpty && !domains.contains(email.domain) {
                throw TenancyError.invalid(field: "email", "This organisation only invites addresses at \(domains.joined(separator: ", "))")
            }
            let role = try await Self.grantableRole(roleKey, context: context, on: connection)
            guard try await connection.query("SELECT 1 FROM users WHERE email = \(email.normalized)").isEmpty else {
                throw TenancyError.conflict("\(email.normalized) is already a member")
            }
            // A new invitation replaces an open one for the same address.
            try await connection.execute(
                "UPDATE invitations SET revoked_at = now() WHERE email = \(email.normalized) AND accepted_at IS NULL AND revoked_at IS NULL"
            )
            try await connection.execute(
                """
                INSERT INTO invitations (tenant_id, id, email, role, token_hash, invited_by, expires_at)
                VALUES (\(context.tenantID.rawValue), \(id), \(email.normalized), \(role.key), \(token.hash), \(inviter), \(expires))
                """
            )
            let link = "\(baseURL)/invitations/\(token)"
            try await connection.execute(
                """
                INSERT INTO outbox (tenant_id, id, kind, recipient, subject, body)
                VALUES (\(context.tenantID.rawValue), \(UUID()), 'invitation', \(email.normalized),
                        \("You are invited to \(context.tenant.displayName) on Falaj"),
                        \("You have been invited to join \(context.tenant.displayName) as \(role.displayName). Accept within \(Self.invitationLifetimeDays) days: \(link)"))
                """
            )
            try await context.audit("member.invited", target: "invitation:\(id)", details: ["role": role.key], on: connection)
            return role
        }
        return CreatedInvitation(invitation: PendingInvitation(id: id, email: email.normalized, roleKey: role.key, expiresAt: expires), token: token)
    }

    /// Open invitations, newest first.
    public func pendingInvitations(_ context: RequestContext) async throws -> [PendingInvitation] {
        try context.require(.membersRead)
        return try await environment.router.withTenantTransaction(context.tenantID) { connection in
            try await connection.query(
                """
                SELECT id, email, role, expires_at FROM invitations
                WHERE accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now() ORDER BY created_at DESC
                """
            ).map { row in
                PendingInvitation(
                    id: try row["id", as: UUID.self],
                    email: try row["email", as: String.self],
                    roleKey: try row["role", as: String.self],
                    expiresAt: try row["expires_at", as: Date.self]
                )
            }
        }
    }

    /// Withdraws an open invitation.
    public func revokeInvitation(_ context: RequestContext, id: UUID) async throws {
        try context.require(.membersManage)
        try await environment.router.withTenantTransaction(context.tenantID) { connection in
            guard try await connection.execute(
                "UPDATE invitations SET revoked_at = now() WHERE id = \(id) AND accepted_at IS NULL AND revoked_at IS NULL"
            ) == 1 else { throw TenancyError.notFound("No open invitation with that id") }
            try await context.audit("invitation.revoked", target: "invitation:\(id)", on: connection)
        }
    }

    static let invalidLink = "This invitation link is not valid any more: it was used, withdrawn or has expired. Ask for a new one."

    /// What the accept page shows; the same error for unknown, used, revoked and expired links.
    public func preview(_ token: TenantToken) async throws -> InvitationPreview {
        guard let tenant = try await environment.directory.tenant(token.tenant), tenant.isActive else {
            throw TenancyError.notFound(Self.invalidLink)
        }
        return try await environment.router.withTenantTransaction(tenant.id) { connection in
            guard let row = try await connection.query(
                "SELECT email, role FROM invitations WHERE token_hash = \(token.hash) AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()"
            ).first else { throw TenancyError.notFound(Self.invalidLink) }
            let role = try await Roles.resolve(try row["role", as: String.self], on: connection)
            return InvitationPreview(tenant: tenant, email: try row["email", as: String.self], roleName: role.displayName)
        }
    }

    /// Accepts an invitation: creates the member with their name and password. Single use: the invitation row is
    /// locked and marked accepted in the same transaction that creates the member.
    public func accept(_ token: TenantToken, displayName rawName: String, password: String) async throws -> TenantSummary {
        let preview = try await preview(token)
        var errors: [String: String] = [:]
        var name = ""
        do { name = try DisplayName.validate(rawName, field: "display_name") } catch { errors[error.field] = error.message }
        let email = try? EmailAddress(preview.email)
        do { try environment.passwords.check(password, email: email) } catch { errors["password"] = error.message }
        guard errors.isEmpty else { throw TenancyError.invalidFields(errors) }
        let hash = try await Argon2id.hash(password: password)
        // Route first (idempotent): if the cell transaction fails, a dangling route matches no account and is harmless.
        try await environment.directory.addLoginRoute(emailKey: environment.secrets.emailKey(preview.email), tenant: token.tenant)
        try await environment.router.withTenantTransaction(token.tenant) { connection in
            guard let row = try await connection.query(
                """
                SELECT id, email, role FROM invitations
                WHERE token_hash = \(token.hash) AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now() FOR UPDATE
                """
            ).first else { throw TenancyError.notFound(Self.invalidLink) }
            let email = try row["email", as: String.self]
            guard try await connection.query("SELECT 1 FROM users WHERE email = \(email)").isEmpty else {
                throw TenancyError.conflict("\(email) is already a member; sign in instead")
            }
            let userID = UUID()
            try await connection.execute(
                "INSERT INTO users (tenant_id, id, email, display_name, password_hash) VALUES (\(token.tenant.rawValue), \(userID), \(email), \(name), \(hash))"
            )
            try await connection.execute(
                "INSERT INTO memberships (tenant_id, user_id, role) VALUES (\(token.tenant.rawValue), \(userID), \(try row["role", as: String.self]))"
            )
            let invitationID = try row["id", as: UUID.self]
            try await connection.execute("UPDATE invitations SET accepted_at = now() WHERE id = \(invitationID)")
            try await AuditLog.record(
                AuditEvent(actor: .user(userID), action: "member.joined", target: "invitation:\(invitationID)", details: ["role": try row["role", as: String.self]]),
                tenant: token.tenant,
                on: connection
            )
        }
        return preview.tenant
    }
}
