public import Foundation
import FalajCrypto
import PostgresClient
import Residency

/// A member of a tenant as the members page lists them.
public struct Member: Sendable, Equatable {
    /// The user id.
    public var id: UUID
    /// The lower-cased e-mail.
    public var email: String
    /// The name.
    public var displayName: String
    /// Their role.
    public var role: Role
    /// Whether TOTP is enrolled.
    public var hasMFA: Bool
    /// Whether an admin required MFA for them.
    public var isMFARequired: Bool
    /// When they joined.
    public var joinedAt: Date
}

/// Members of a tenant: list, change role, remove, require MFA. Invitations are in `Members+Invitations.swift`.
public struct Members: Sendable {
    let environment: TenancyEnvironment

    /// Days an invitation link stays valid.
    public static let invitationLifetimeDays = 7

    /// Every member, by name.
    public func list(_ context: RequestContext) async throws -> [Member] {
        try context.require(.membersRead)
        return try await environment.router.withTenantTransaction(context.tenantID) { connection in
            let rows = try await connection.query(
                """
                SELECT u.id, u.email, u.display_name, u.mfa_secret IS NOT NULL AS has_mfa, u.mfa_required, m.role, m.created_at
                FROM users u JOIN memberships m ON m.user_id = u.id ORDER BY lower(u.display_name), u.email
                """
            )
            var members: [Member] = []
            for row in rows {
                members.append(
                    Member(
                        id: try row["id", as: UUID.self],
                        email: try row["email", as: String.self],
                        displayName: try row["display_name", as: String.self],
                        role: try await Roles.resolve(try row["role", as: String.self], on: connection),
                        hasMFA: try row["has_mfa", as: Bool.self],
                        isMFARequired: try row["mfa_required", as: Bool.self],
                        joinedAt: try row["created_at", as: Date.self]
                    )
                )
            }
            return members
        }
    }

    /// Checks that the actor may hand out `roleKey`, and returns the role.
    /// Rules: only owners grant the owner role; nobody grants permissions they lack.
    nonisolated(nonsending) static func grantableRole(_ roleKey: String, context: RequestContext, on connection: PostgresConnection) async throws -> Role {
        if BuiltInRole(rawValue: roleKey) == nil,
            try await connection.query("SELECT 1 FROM custom_roles WHERE key = \(roleKey)").isEmpty
        {
            throw TenancyError.invalid(field: "role", "Choose one of the listed roles")
        }
        let role = try await Roles.resolve(roleKey, on: connection)
        if role.isOwner && !context.role.isOwner { throw TenancyError.forbidden("Only an owner can make someone an owner") }
        guard role.permissions.isSubset(of: context.permissions) else {
            throw TenancyError.forbidden("You cannot give a role with permissions you do not have")
        }
        return role
    }

    /// Gives a member another role. The last owner cannot be demoted; only owners touch the owner role. The member's
    /// sessions end (their privileges changed, so they sign in again with fresh session ids).
    public func changeRole(_ context: RequestContext, member: UUID, to roleKey: String) async throws {
        try context.require(.membersManage)
        try await environment.router.withTenantTransaction(context.tenantID) { connection in
            let current = try await Self.lockedRole(of: member, on: connection)
            let role = try await Self.grantableRole(roleKey, context: context, on: connection)
            if current == BuiltInRole.owner.rawValue && !context.role.isOwner {
                throw TenancyError.forbidden("Only an owner can change an owner's role")
            }
            if current == BuiltInRole.owner.rawValue && !role.isOwner { try await Self.requireAnotherOwner(on: connection) }
            guard current != role.key else { return }
            try await connection.execute("UPDATE memberships SET role = \(role.key) WHERE user_id = \(member)")
            try await Sessions.deleteAll(user: member, on: connection)
            try await context.audit("member.role_changed", target: "user:\(member.uuidString.lowercased())", details: ["from": current, "to": role.key], on: connection)
        }
        environment.apiKeyCache.invalidate(tenant: context.tenantID.rawValue)  // the member's keys shrink or grow now
    }

    /// Removes a member: their account in this tenant, sessions and API keys go; the last owner cannot be removed.
    public func remove(_ context: RequestContext, member: UUID) async throws {
        try context.require(.membersManage)
        let email = try await environment.router.withTenantTransaction(context.tenantID) { connection in
            let current = try await Self.lockedRole(of: member, on: connection)
            if current == BuiltInRole.owner.rawValue {
                guard context.role.isOwner else { throw TenancyError.forbidden("Only an owner can remove an owner") }
                try await Self.requireAnotherOwner(on: connection)
            }
            let email = try await connection.query("SELECT email FROM users WHERE id = \(member)")[0]["email", as: String.self]
            try await connection.execute("DELETE FROM users WHERE id = \(member)")
            try await context.audit("member.removed", target: "user:\(member.uuidString.lowercased())", details: ["role": current], on: connection)
            return email
        }
        environment.apiKeyCache.invalidate(tenant: context.tenantID.rawValue)  // the member's keys are gone
        try await environment.directory.removeLoginRoute(emailKey: environment.secrets.emailKey(email), tenant: context.tenantID)
    }

    /// Requires (or stops requiring) a member to enrol MFA before doing anything else.
    public func setMFARequired(_ context: RequestContext, member: UUID, isRequired: Bool) async throws {
        try context.require(.membersManage)
        try await environment.router.withTenantTransaction(context.tenantID) { connection in
            guard try await connection.execute("UPDATE users SET mfa_required = \(isRequired) WHERE id = \(member)") == 1 else {
                throw TenancyError.notFound("No such member")
            }
            try await context.audit("member.mfa_requirement_changed", target: "user:\(member.uuidString.lowercased())", details: ["required": String(isRequired)], on: connection)
        }
    }

    /// The member's role key, with the owner rows locked so two demotions cannot both pass the last-owner check.
    nonisolated(nonsending) static func lockedRole(of member: UUID, on connection: PostgresConnection) async throws -> String {
        _ = try await connection.query("SELECT user_id FROM memberships WHERE role = 'owner' FOR UPDATE")
        guard let row = try await connection.query("SELECT role FROM memberships WHERE user_id = \(member) FOR UPDATE").first else {
            throw TenancyError.notFound("No such member")
        }
        return try row["role", as: String.self]
    }

    nonisolated(nonsending) static func requireAnotherOwner(on connection: PostgresConnection) async throws {
        let owners = try await connection.query("SELECT count(*) AS n FROM memberships WHERE role = 'owner'")[0]["n", as: Int.self]
        guard owners > 1 else {
            throw TenancyError.conflict("An organisation needs at least one owner: make someone else an owner first")
        }
    }
}
