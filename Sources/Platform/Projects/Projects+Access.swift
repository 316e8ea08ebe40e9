public import Foundation
import PostgresClient
import Residency
public import Tenancy

/// Who may see a project: everyone in the organisation with `data.read`, or, when restricted, only the listed members.
public struct ProjectAccess: Sendable, Equatable {
    /// True when only ``members`` (and members who manage the organisation's members) see the project.
    public var isRestricted: Bool
    /// The members on the access list, by user id (kept while unrestricted, so restricting again restores them).
    public var members: [UUID]
}

extension Projects {
    /// A project's access list.
    /// - Throws: ``PlatformError/notFound(_:)``.
    public func access(_ slug: String, context request: RequestContext) async throws -> ProjectAccess {
        try request.requirePlatform(.dataRead)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            let project = try await Self.find(slug, for: request, on: connection)
            return try await Self.access(of: project, on: connection)
        }
    }

    /// Restricts a project to `members` or opens it to the whole organisation again; needs `members.manage` (it
    /// decides who sees data). Audited as `project.access_changed`.
    /// - Throws: ``PlatformError/forbidden(_:)``; ``PlatformError/notFound(_:)``; ``PlatformError/invalidFields(_:)``
    ///   naming `members` for an id that is not a member of the organisation.
    public func setAccess(_ slug: String, restricted: Bool, members: [UUID], context request: RequestContext) async throws -> ProjectAccess {
        try request.requirePlatform(.membersManage)
        return try await context.changingDefinitions(of: request.tenantID) { connection in
            let project = try await Self.find(slug, for: request, on: connection)
            let unique = Array(Set(members))
            let known = try await connection.query("SELECT id FROM users WHERE id = ANY(\(unique)::uuid[])").map { try $0["id", as: UUID.self] }
            guard known.count == unique.count else {
                throw PlatformError.invalid(field: "members", "Every entry must be a member of the organisation")
            }
            try await connection.execute("UPDATE projects SET restricted = \(restricted) WHERE id = \(project.id)")
            try await connection.execute("DELETE FROM project_members WHERE project_id = \(project.id) AND NOT (user_id = ANY(\(unique)::uuid[]))")
            try await connection.execute(
                """
                INSERT INTO project_members (tenant_id, project_id, user_id, added_by)
                SELECT \(request.tenantID.rawValue), \(project.id), member, \(request.platformActor) FROM unnest(\(unique)::uuid[]) AS member
                ON CONFLICT DO NOTHING
                """
            )
            try await AuditLog.record(
                AuditEvent(
                    actor: request.auditActor, action: "project.access_changed", target: "project:\(project.id.uuidString.lowercased())",
                    sourceIP: request.clientAddress, requestID: request.requestID,
                    details: ["restricted": String(restricted), "members": unique.map { $0.uuidString.lowercased() }.sorted().joined(separator: ",")]
                ),
                tenant: request.tenantID, on: connection
            )
            return try await Self.access(of: project, on: connection)
        }
    }

    nonisolated(nonsending) static func access(of project: Project, on connection: PostgresConnection) async throws -> ProjectAccess {
        let restricted = try await connection.query("SELECT restricted FROM projects WHERE id = \(project.id)")[0]["restricted", as: Bool.self]
        let members = try await connection.query("SELECT user_id FROM project_members WHERE project_id = \(project.id) ORDER BY added_at, user_id")
            .map { try $0["user_id", as: UUID.self] }
        return ProjectAccess(isRestricted: restricted, members: members)
    }

    /// What decides whether the actor sees a restricted project: whether it sees all of them (it manages members, or
    /// it is Falaj itself) and its member's id. Every project lookup binds both into the same condition on
    /// `projects p`: `NOT p.restricted OR <seesAll> OR EXISTS (… project_members m … m.user_id = <user>)`.
    static func visibility(_ request: RequestContext) -> (seesAll: Bool, user: UUID?) {
        (request.allows(.membersManage) || request.actor.userID == nil, request.actor.userID)
    }
}
