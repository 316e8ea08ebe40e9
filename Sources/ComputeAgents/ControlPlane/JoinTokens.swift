import AgentProtocol
public import Foundation
import PostgresClient
import Residency
import Tenancy

/// Join tokens: created by operators (any region, shared or dedicated) or tenant admins (dedicated to their tenant).
public struct JoinTokens: Sendable {
    let context: ComputeAgentsContext

    /// The shortest lifetime a token may have, in seconds.
    public static let minimumLifetimeSeconds = 60
    /// The longest lifetime a token may have, in seconds (30 days).
    public static let maximumLifetimeSeconds = 30 * 86_400
    /// The most agents one token may enrol.
    public static let maximumUses = 100_000

    /// Creates a token; returns it once, in clear, with its summary. Audited for tenant-dedicated tokens.
    /// - Throws: ``ComputeAgentsError/invalidFields(_:)``, ``ComputeAgentsError/forbidden(_:)`` (a tenant admin without
    ///   `nodes.manage`, or asking for another tenant), ``ComputeAgentsError/placementRefused(_:)`` (a region the
    ///   dedicated tenant's residency policy does not allow for processing; the refusal is audited).
    public func create(_ request: JoinTokenRequest, by administrator: NodeAdministrator) async throws -> (token: String, summary: JoinTokenSummary) {
        try administrator.requireNodesManage()
        let dedicated = try await dedicatedTenant(of: request, by: administrator)
        var errors: [String: String] = [:]
        let description = request.description.trimmingCharacters(in: .whitespacesAndNewlines)
        if description.count > 200 { errors["description"] = "Keep the description to 200 characters" }
        if let problem = AgentValidation.labelProblem(request.labels) { errors["labels"] = problem }
        if !(1...Self.maximumUses).contains(request.maxUses) { errors["max_uses"] = "Allow between 1 and \(Self.maximumUses) uses" }
        if !(Self.minimumLifetimeSeconds...Self.maximumLifetimeSeconds).contains(request.lifetimeSeconds) {
            errors["lifetime_seconds"] = "Choose a lifetime between 1 minute and 30 days"
        }
        let regions = try await RegionCatalog(directory: context.router.directory).all()
        if let region = regions.first(where: { $0.id == request.region }) {
            if !region.isActive { errors["region"] = "\(region.id) is \(region.status) and cannot run work; choose an active region" }
        } else {
            errors["region"] = "'\(String(request.region.prefix(40)))' is not a region of this installation"
        }
        guard errors.isEmpty else { throw ComputeAgentsError.invalidFields(errors) }
        if let tenant = dedicated { try await checkResidency(of: tenant, region: request.region, by: administrator) }

        let token = AgentSecrets.makeJoinToken()
        let id = UUID()
        let prefix = AgentSecrets.displayPrefix(of: token)
        let labels = try PostgresJSON(encoding: request.labels)
        let event = administrator.event(
            "agents.join_token_created",
            target: "agent_join_token:\(id.uuidString.lowercased())",
            details: ["region": request.region, "max_uses": "\(request.maxUses)", "lifetime_seconds": "\(request.lifetimeSeconds)"]
        )
        let summary = try await context.router.directory.withTransaction { connection in
            let row = try await connection.query(
                """
                INSERT INTO agent_join_tokens (id, token_hash, display_prefix, description, region_id, dedicated_tenant_id, labels, max_uses,
                                               expires_at, created_by)
                VALUES (\(id), \(AgentSecrets.hash(token)), \(prefix), \(description), \(request.region), \(dedicated?.id.rawValue), \(labels),
                        \(request.maxUses), now() + make_interval(secs => \(request.lifetimeSeconds)), \(administrator.recordedName))
                RETURNING id, display_prefix, description, region_id, dedicated_tenant_id, labels, max_uses, uses, expires_at, created_by, created_at, revoked_at
                """
            )[0]
            if let tenant = dedicated { try await context.audit(event, tenant: tenant.id) }
            return try Self.summary(row)
        }
        if dedicated == nil { context.logSharedAction(event) }
        return (token, summary)
    }

    /// Tokens the administrator may see (operators: all; tenant admins: their tenant's), newest first.
    /// - Throws: ``ComputeAgentsError/forbidden(_:)`` for a tenant member without `nodes.manage`.
    public func list(by administrator: NodeAdministrator) async throws -> [JoinTokenSummary] {
        try administrator.requireNodesManage()
        let tenant = administrator.scopeTenant?.rawValue
        return try await context.router.directory.withConnection { connection in
            try await connection.query(
                """
                SELECT id, display_prefix, description, region_id, dedicated_tenant_id, labels, max_uses, uses, expires_at, created_by, created_at, revoked_at
                FROM agent_join_tokens
                WHERE \(tenant)::uuid IS NULL OR dedicated_tenant_id = \(tenant)
                ORDER BY created_at DESC, id
                """
            ).map(Self.summary)
        }
    }

    /// Revokes a token; agents already enrolled stay enrolled. Revoking a revoked token changes nothing.
    /// - Throws: ``ComputeAgentsError/notFound(_:)`` when the administrator cannot see the token.
    public func revoke(_ id: UUID, by administrator: NodeAdministrator) async throws {
        try administrator.requireNodesManage()
        let scope = administrator.scopeTenant?.rawValue
        let event = administrator.event("agents.join_token_revoked", target: "agent_join_token:\(id.uuidString.lowercased())")
        let revoked = try await context.router.directory.withTransaction { connection -> (tenant: TenantID?, changed: Bool) in
            guard
                let row = try await connection.query(
                    """
                    SELECT dedicated_tenant_id, revoked_at IS NOT NULL AS is_revoked FROM agent_join_tokens
                    WHERE id = \(id) AND (\(scope)::uuid IS NULL OR dedicated_tenant_id = \(scope)) FOR UPDATE
                    """
                ).first
            else { throw ComputeAgentsError.notFound("No join token with that id") }
            let tenant = try row["dedicated_tenant_id", as: UUID?.self].map(TenantID.init)
            guard try !row["is_revoked", as: Bool.self] else { return (tenant, false) }
            try await connection.execute("UPDATE agent_join_tokens SET revoked_at = now() WHERE id = \(id)")
            if let tenant { try await context.audit(event, tenant: tenant) }
            return (tenant, true)
        }
        if revoked.changed && revoked.tenant == nil { context.logSharedAction(event) }
    }

    /// The tenant a new token is dedicated to: a tenant admin's own; for operators the requested one, which must
    /// exist and be active.
    private func dedicatedTenant(of request: JoinTokenRequest, by administrator: NodeAdministrator) async throws -> TenantSummary? {
        switch administrator {
        case .tenantAdmin(let requestContext):
            if let asked = request.dedicatedTenantID, asked != requestContext.tenantID {
                throw ComputeAgentsError.forbidden("A join token you create is dedicated to your own organisation")
            }
            return requestContext.tenant
        case .platformOperator:
            guard let id = request.dedicatedTenantID else { return nil }
            guard let tenant = try await TenantDirectory(router: context.router).tenant(id), tenant.isActive else {
                throw ComputeAgentsError.invalid(field: "dedicated_tenant_id", "No active organisation with that id")
            }
            return tenant
        }
    }

    /// Agents of a dedicated token process the tenant's data, so the region must be one its residency policy allows
    /// for processing; a refusal is audited by ``ResidencyPolicies/check(tenant:homeRegion:tenantName:operation:region:actor:requestID:sourceIP:)``.
    private func checkResidency(of tenant: TenantSummary, region: String, by administrator: NodeAdministrator) async throws {
        do {
            try await ResidencyPolicies(router: context.router).check(
                tenant: tenant.id,
                homeRegion: tenant.homeRegion,
                tenantName: tenant.displayName,
                operation: .process,
                region: region,
                actor: administrator.auditActor,
                requestID: administrator.requestID,
                sourceIP: administrator.clientAddress
            )
        } catch let refusal as PlacementRefusal {
            throw ComputeAgentsError.placementRefused(refusal)
        }
    }

    /// Decodes a row with the columns the queries above select.
    static func summary(_ row: PostgresRow) throws -> JoinTokenSummary {
        JoinTokenSummary(
            id: try row["id", as: UUID.self],
            displayPrefix: try row["display_prefix", as: String.self],
            description: try row["description", as: String.self],
            region: try row["region_id", as: String.self],
            dedicatedTenantID: try row["dedicated_tenant_id", as: UUID?.self].map(TenantID.init),
            labels: try row["labels", as: PostgresJSON.self].decode([String: String].self),
            maxUses: try row["max_uses", as: Int.self],
            uses: try row["uses", as: Int.self],
            expiresAt: try row["expires_at", as: Date.self],
            createdBy: try row["created_by", as: String.self],
            createdAt: try row["created_at", as: Date.self],
            revokedAt: try row["revoked_at", as: Date?.self]
        )
    }
}
