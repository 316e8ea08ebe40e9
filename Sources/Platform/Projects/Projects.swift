import Foundation
import PostgresClient
import Residency
public import Tenancy

/// The tenant's projects. Reads need `data.read`, changes `data.write`; creation is audited.
public struct Projects: Sendable {
    let context: PlatformContext

    /// Creates a project; its slug is made from the name unless one is given.
    /// - Throws: ``PlatformError/invalidFields(_:)`` naming `name`, `slug` or `description`;
    ///   ``PlatformError/conflict(_:)`` when the slug is taken; ``PlatformError/forbidden(_:)`` without `data.write`.
    public func create(_ form: ProjectForm, context request: RequestContext) async throws -> Project {
        try request.requirePlatform(.dataWrite)
        let name = form.name.trimmingCharacters(in: .whitespacesAndNewlines)
        var errors: [String: String] = [:]
        if name.isEmpty || name.count > 100 { errors["name"] = "Give the project a name of 1–100 characters" }
        if form.description.count > 2000 { errors["description"] = "Keep the description under 2,000 characters" }
        let given = form.slug?.trimmingCharacters(in: .whitespaces) ?? ""
        let slug = given.isEmpty ? PlatformName.slug(from: name) : given
        if let slug, let problem = PlatformName.projectSlugProblem(slug) {
            errors["slug"] = problem
        } else if slug == nil, errors["name"] == nil {
            errors["slug"] = "Choose a URL name: the project's name has too few letters or digits to make one"
        }
        guard errors.isEmpty, let slug else { throw PlatformError.invalidFields(errors) }
        do {
            return try await context.changingDefinitions(of: request.tenantID) { connection in
                let row = try await connection.query(
                    """
                    INSERT INTO projects (tenant_id, id, slug, name, description, created_by)
                    VALUES (\(request.tenantID.rawValue), \(UUID()), \(slug), \(name), \(form.description), \(request.platformActor))
                    RETURNING *
                    """
                )[0]
                let project = try Project(row)
                try await AuditLog.record(
                    AuditEvent(
                        actor: request.auditActor, action: "project.created", target: "project:\(project.id.uuidString.lowercased())",
                        sourceIP: request.clientAddress, requestID: request.requestID, details: ["slug": slug]
                    ),
                    tenant: request.tenantID, on: connection
                )
                return project
            }
        } catch let error as PostgresError where error.sqlState == "23505" {
            throw PlatformError.conflict("A project called '\(slug)' exists already; choose another URL name")
        }
    }

    /// The tenant's projects, by name.
    public func list(context request: RequestContext) async throws -> [Project] {
        try request.requirePlatform(.dataRead)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            let visibility = Self.visibility(request)
            return try await connection.query(
                """
                SELECT * FROM projects p
                WHERE (NOT p.restricted OR \(visibility.seesAll)
                       OR EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = p.id AND m.user_id = \(visibility.user)))
                ORDER BY lower(name), slug
                """
            ).map(Project.init)
        }
    }

    /// One project by slug.
    /// - Throws: ``PlatformError/notFound(_:)`` when the tenant has none by that name.
    public func get(_ slug: String, context request: RequestContext) async throws -> Project {
        try request.requirePlatform(.dataRead)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            try await Self.find(slug, for: request, on: connection)
        }
    }

    /// The project `slug` of the transaction's tenant if `request`'s actor may see it (see ``visible(to:)``), or
    /// ``PlatformError/notFound(_:)``: a restricted project is not revealed to members outside its access list.
    nonisolated(nonsending) static func find(_ slug: String, for request: RequestContext, on connection: PostgresConnection) async throws -> Project {
        let visibility = Self.visibility(request)
        let rows = try await connection.query(
            """
            SELECT * FROM projects p
            WHERE p.slug = \(slug) AND (NOT p.restricted OR \(visibility.seesAll)
                                        OR EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = p.id AND m.user_id = \(visibility.user)))
            """
        )
        guard let row = rows.first else {
            throw PlatformError.notFound("There is no project '\(String(slug.prefix(40)))'")
        }
        return try Project(row)
    }
}
