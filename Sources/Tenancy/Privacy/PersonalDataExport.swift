public import Foundation
import PostgresClient
public import Residency

/// The JSON document of a data-subject export (GDPR Art. 15/20): everything the home cell holds about one person in
/// one organisation. Secrets are never included (no password hash, MFA secret, token or key hashes).
public struct PersonalDataExport: Codable, Sendable {
    /// The document format.
    public var format = "falaj.personal-data-export/v1"
    /// When it was assembled.
    public var generatedAt: Date
    /// The organisation and where its data lives.
    public var organisation: Organisation
    /// The person's account.
    public var profile: Profile
    /// Their role, while they are a member.
    public var membership: Membership?
    /// Their sign-in sessions (metadata only).
    public var sessions: [Session]
    /// Their API keys (metadata only, never the secret).
    public var apiKeys: [APIKey]
    /// Invitations they sent.
    public var invitationsSent: [Invitation]
    /// Audit events where they were the actor, newest first (at most 10 000).
    public var auditEvents: [AuditRecord]

    /// The organisation.
    public struct Organisation: Codable, Sendable {
        /// Its id.
        public var id: String
        /// Its short name.
        public var slug: String
        /// The home region that holds this data.
        public var region: String
    }

    /// The account.
    public struct Profile: Codable, Sendable {
        /// The user id.
        public var id: UUID
        /// The e-mail address.
        public var email: String
        /// The name.
        public var displayName: String
        /// Whether two-step verification is on.
        public var hasMFA: Bool
        /// When the account was created.
        public var createdAt: Date
    }

    /// The membership.
    public struct Membership: Codable, Sendable {
        /// The role key.
        public var role: String
        /// When they joined.
        public var joinedAt: Date
    }

    /// A session.
    public struct Session: Codable, Sendable {
        /// The session id.
        public var id: UUID
        /// Created, last seen and expiry times.
        public var createdAt: Date, lastSeenAt: Date, expiresAt: Date
        /// The client address and user agent recorded at sign-in.
        public var clientAddress: String?, userAgent: String?
    }

    /// An API key.
    public struct APIKey: Codable, Sendable {
        /// The key id.
        public var id: UUID
        /// Its name and public prefix.
        public var name: String, prefix: String
        /// Its permissions.
        public var permissions: [String]
        /// Times of creation, expiry, revocation and last use.
        public var createdAt: Date, expiresAt: Date?, revokedAt: Date?, lastUsedAt: Date?
    }

    /// An invitation the person sent.
    public struct Invitation: Codable, Sendable {
        /// The invitation id.
        public var id: UUID
        /// Who was invited, with which role.
        public var email: String, role: String
        /// Times of creation, expiry, acceptance and revocation.
        public var createdAt: Date, expiresAt: Date, acceptedAt: Date?, revokedAt: Date?
    }

    /// Collects the export of `user` from the tenant set on `connection`.
    /// - Throws: ``TenancyError/notFound(_:)`` when the user no longer exists.
    nonisolated(nonsending) static func collect(
        user: UUID,
        organisation: Organisation,
        on connection: PostgresConnection
    ) async throws -> PersonalDataExport {
        guard
            let profileRow = try await connection.query(
                "SELECT id, email, display_name, mfa_secret IS NOT NULL AS has_mfa, created_at FROM users WHERE id = \(user)"
            ).first
        else { throw TenancyError.notFound("No such member") }
        let profile = Profile(
            id: user, email: try profileRow["email", as: String.self], displayName: try profileRow["display_name", as: String.self],
            hasMFA: try profileRow["has_mfa", as: Bool.self], createdAt: try profileRow["created_at", as: Date.self]
        )
        let membership = try await connection.query("SELECT role, created_at FROM memberships WHERE user_id = \(user)").first.map {
            Membership(role: try $0["role", as: String.self], joinedAt: try $0["created_at", as: Date.self])
        }
        let sessions = try await connection.query(
            "SELECT id, created_at, last_seen_at, expires_at, client_address, user_agent FROM sessions WHERE user_id = \(user) ORDER BY created_at"
        ).map {
            Session(
                id: try $0["id", as: UUID.self], createdAt: try $0["created_at", as: Date.self], lastSeenAt: try $0["last_seen_at", as: Date.self],
                expiresAt: try $0["expires_at", as: Date.self], clientAddress: try $0["client_address", as: String?.self],
                userAgent: try $0["user_agent", as: String?.self]
            )
        }
        let keys = try await connection.query(
            """
            SELECT id, name, prefix, permissions, created_at, expires_at, revoked_at, last_used_at
            FROM api_keys WHERE user_id = \(user) ORDER BY created_at
            """
        ).map {
            APIKey(
                id: try $0["id", as: UUID.self], name: try $0["name", as: String.self], prefix: try $0["prefix", as: String.self],
                permissions: try $0["permissions", as: [String].self], createdAt: try $0["created_at", as: Date.self],
                expiresAt: try $0["expires_at", as: Date?.self], revokedAt: try $0["revoked_at", as: Date?.self],
                lastUsedAt: try $0["last_used_at", as: Date?.self]
            )
        }
        let invitations = try await connection.query(
            """
            SELECT id, email, role, created_at, expires_at, accepted_at, revoked_at
            FROM invitations WHERE invited_by = \(user) ORDER BY created_at
            """
        ).map {
            Invitation(
                id: try $0["id", as: UUID.self], email: try $0["email", as: String.self], role: try $0["role", as: String.self],
                createdAt: try $0["created_at", as: Date.self], expiresAt: try $0["expires_at", as: Date.self],
                acceptedAt: try $0["accepted_at", as: Date?.self], revokedAt: try $0["revoked_at", as: Date?.self]
            )
        }
        let audit = try await AuditLog.events(AuditFilter(actorID: user.uuidString.lowercased(), limit: 10_000), on: connection)
        return PersonalDataExport(
            generatedAt: Date(), organisation: organisation, profile: profile, membership: membership, sessions: sessions, apiKeys: keys,
            invitationsSent: invitations, auditEvents: audit
        )
    }

    /// The document as pretty-printed JSON with ISO 8601 dates.
    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return Array(try encoder.encode(self))
    }
}
