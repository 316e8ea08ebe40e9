public import Foundation
public import Residency

/// Who is acting: a signed-in member, an API key (on behalf of its creator), a platform operator or the system.
public enum Actor: Sendable, Equatable {
    /// A member using the portal.
    case user(UUID)
    /// An API key; `user` is the member who created it.
    case apiKey(id: UUID, user: UUID)
    /// A platform operator (never acts inside tenant data).
    case `operator`(UUID)
    /// Falaj itself (seeding, background work).
    case system

    /// The member behind the action, if any.
    public var userID: UUID? {
        switch self {
        case .user(let id), .apiKey(_, let id): id
        case .operator, .system: nil
        }
    }
}

/// The one request context (DESIGN.md §3 rule 4): tenant, actor, role, permissions, region and request id travel
/// together from the edge to the database transaction. Built only by ``Authenticator`` and ``APIKeys``.
public struct RequestContext: Sendable {
    /// The active tenant.
    public var tenant: TenantSummary
    /// Who is acting.
    public var actor: Actor
    /// The member's role (for an API key: its creator's role).
    public var role: Role
    /// What the actor may do: the role's permissions, or an API key's subset of them.
    public var permissions: Set<Permission>
    /// The request id, for logs and audit.
    public var requestID: String
    /// The client address as the server saw it.
    public var clientAddress: String

    /// Creates a context.
    public init(tenant: TenantSummary, actor: Actor, role: Role, permissions: Set<Permission>, requestID: String, clientAddress: String) {
        self.tenant = tenant
        self.actor = actor
        self.role = role
        self.permissions = permissions
        self.requestID = requestID
        self.clientAddress = clientAddress
    }

    /// The tenant's id.
    public var tenantID: TenantID { tenant.id }
    /// The tenant's home region.
    public var region: String { tenant.homeRegion }

    /// Whether the actor holds `permission`.
    public func allows(_ permission: Permission) -> Bool { permissions.contains(permission) }

    /// Throws ``TenancyError/forbidden(_:)`` unless the actor holds `permission`.
    public func require(_ permission: Permission) throws(TenancyError) {
        guard allows(permission) else {
            throw TenancyError.forbidden("Your role does not allow this (it needs the '\(permission.rawValue)' permission)")
        }
    }

    /// The signed-in member, or a forbidden error for actors that are not members.
    public func requireUser() throws(TenancyError) -> UUID {
        guard let id = actor.userID else { throw TenancyError.forbidden("Only a member of the organisation can do this") }
        return id
    }
}

/// A tenant as the directory knows it.
public struct TenantSummary: Sendable, Equatable, Codable {
    /// The id.
    public var id: TenantID
    /// The URL-safe unique name.
    public var slug: String
    /// The organisation's name.
    public var displayName: String
    /// The region of its cell.
    public var homeRegion: String
    /// `free`, `team` or `enterprise`.
    public var plan: String
    /// `provisioning`, `active`, `suspended` or `deleting`.
    public var status: String
    /// When it was created.
    public var createdAt: Date

    /// Creates a summary.
    public init(id: TenantID, slug: String, displayName: String, homeRegion: String, plan: String, status: String, createdAt: Date) {
        self.id = id
        self.slug = slug
        self.displayName = displayName
        self.homeRegion = homeRegion
        self.plan = plan
        self.status = status
        self.createdAt = createdAt
    }

    /// Whether sessions and keys of this tenant work.
    public var isActive: Bool { status == "active" }
}
