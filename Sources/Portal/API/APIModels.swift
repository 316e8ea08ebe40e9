import Foundation
import Residency
import Tenancy

/// A tenant as the API shows it.
struct TenantJSON: Encodable {
    var id: String
    var slug: String
    var displayName: String
    var homeRegion: String
    var plan: String
    var status: String
    var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, slug, plan, status
        case displayName = "display_name", homeRegion = "home_region", createdAt = "created_at"
    }

    init(_ tenant: TenantSummary) {
        id = tenant.id.description
        slug = tenant.slug
        displayName = tenant.displayName
        homeRegion = tenant.homeRegion
        plan = tenant.plan
        status = tenant.status
        createdAt = tenant.createdAt
    }

    static let schema = Schema.object([
        "id": Schema.uuid, "slug": Schema.string(), "display_name": Schema.string(), "home_region": Schema.string(),
        "plan": Schema.string(), "status": Schema.string(), "created_at": Schema.dateTime,
    ])
}

/// A role (built-in or custom) as the API shows it.
struct RoleJSON: Encodable {
    var key: String
    var displayName: String
    var permissions: [String]
    var isBuiltIn: Bool

    enum CodingKeys: String, CodingKey {
        case key, permissions
        case displayName = "display_name", isBuiltIn = "is_built_in"
    }

    init(_ role: Role) {
        key = role.key
        displayName = role.displayName
        permissions = role.permissions.sorted().map(\.rawValue)
        isBuiltIn = role.isBuiltIn
    }

    static let schema = Schema.object([
        "key": Schema.string(), "display_name": Schema.string(), "permissions": Schema.permissions, "is_built_in": Schema.boolean,
    ])
}

/// A member as the API shows it.
struct MemberJSON: Encodable {
    var id: UUID
    var email: String
    var displayName: String
    var role: RoleJSON
    var hasMFA: Bool
    var isMFARequired: Bool
    var joinedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, email, role
        case displayName = "display_name", hasMFA = "has_mfa", isMFARequired = "is_mfa_required", joinedAt = "joined_at"
    }

    init(_ member: Member) {
        id = member.id
        email = member.email
        displayName = member.displayName
        role = RoleJSON(member.role)
        hasMFA = member.hasMFA
        isMFARequired = member.isMFARequired
        joinedAt = member.joinedAt
    }

    static let schema = Schema.object([
        "id": Schema.uuid, "email": Schema.string(format: "email"), "display_name": Schema.string(), "role": RoleJSON.schema,
        "has_mfa": Schema.boolean, "is_mfa_required": Schema.boolean, "joined_at": Schema.dateTime,
    ])
}

/// An open invitation; `accept_link` only in the response that creates it.
struct InvitationJSON: Encodable {
    var id: UUID
    var email: String
    var role: String
    var expiresAt: Date
    var acceptLink: String?

    enum CodingKeys: String, CodingKey {
        case id, email, role
        case expiresAt = "expires_at", acceptLink = "accept_link"
    }

    init(_ invitation: PendingInvitation, acceptLink: String? = nil) {
        id = invitation.id
        email = invitation.email
        role = invitation.roleKey
        expiresAt = invitation.expiresAt
        self.acceptLink = acceptLink
    }

    static let schema = Schema.object(
        [
            "id": Schema.uuid, "email": Schema.string(format: "email"), "role": Schema.string("The role key"), "expires_at": Schema.dateTime,
            "accept_link": Schema.string("Only in the response to POST: the link to pass to the invitee", format: "uri"),
        ],
        required: ["id", "email", "role", "expires_at"]
    )
}

/// An API key as lists show it (never its secret).
struct APIKeyJSON: Encodable {
    var summary: APIKeySummary

    enum CodingKeys: String, CodingKey {
        case id, name, prefix, permissions
        case createdAt = "created_at", expiresAt = "expires_at", revokedAt = "revoked_at", lastUsedAt = "last_used_at"
        case ownerEmail = "owner_email"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(summary.id, forKey: .id)
        try container.encode(summary.name, forKey: .name)
        try container.encode(summary.prefix, forKey: .prefix)
        try container.encode(summary.permissions.map(\.rawValue), forKey: .permissions)
        try container.encode(summary.createdAt, forKey: .createdAt)
        try container.encode(summary.expiresAt, forKey: .expiresAt)
        try container.encode(summary.revokedAt, forKey: .revokedAt)
        try container.encode(summary.lastUsedAt, forKey: .lastUsedAt)
        try container.encode(summary.ownerEmail, forKey: .ownerEmail)
    }

    static let schema = Schema.object([
        "id": Schema.uuid, "name": Schema.string(), "prefix": Schema.string(), "permissions": Schema.permissions,
        "created_at": Schema.dateTime, "expires_at": Schema.optionalDateTime, "revoked_at": Schema.optionalDateTime,
        "last_used_at": Schema.optionalDateTime, "owner_email": Schema.string(format: "email"),
    ])
}

/// A list response: `{"items": [...]}` so the envelope can grow (paging) without breaking clients.
struct ItemsJSON<Item: Encodable>: Encodable {
    var items: [Item]

    static func schema(_ item: JSONValue) -> JSONValue { Schema.object(["items": Schema.array(item)]) }
}
