import Foundation
import PostgresClient

/// Tenants' residency policies: read, change (validated and audited) and enforce.
///
/// Policies live in the directory (they route work, and hold no personal data); their audit events go to the
/// tenant's home cell like every other audit event of the tenant.
public struct ResidencyPolicies: Sendable {
    let router: CellRouter

    /// The service over `router`'s directory and cells.
    public init(router: CellRouter) { self.router = router }

    /// The tenant's policy; the default (home only, no cross-border transfer) when it never changed it.
    /// - Parameters:
    ///   - tenant: the tenant.
    ///   - homeRegion: its home region (from the request context; the directory's `tenants.home_region`).
    public func policy(for tenant: TenantID, homeRegion: String) async throws -> ResidencyPolicy {
        let rows = try await router.directory.withConnection { connection in
            try await connection.query(
                """
                SELECT allowed_processing_regions, is_cross_border_transfer_allowed
                FROM tenant_residency_policies WHERE tenant_id = \(tenant.rawValue)
                """
            )
        }
        guard let row = rows.first else { return ResidencyPolicy(homeRegion: homeRegion) }
        return ResidencyPolicy(
            homeRegion: homeRegion,
            allowedProcessingRegions: try row["allowed_processing_regions", as: [String].self],
            isCrossBorderTransferAllowed: try row["is_cross_border_transfer_allowed", as: Bool.self]
        )
    }

    /// Validates and saves the tenant's allowed processing regions and cross-border flag, and audits the change
    /// (`residency.policy_changed`) in the tenant's home cell. The home region cannot be changed here.
    ///
    /// Each allowed region must be in the catalog and `active`; without cross-border transfer each must share the
    /// home region's jurisdiction. The home region itself and duplicates are dropped; the list is sorted.
    /// The audit row is written first and its cell transaction commits after the directory's, so a failed audit
    /// leaves the policy unchanged.
    /// - Throws: ``ResidencyPolicyError`` naming the field `allowed_processing_regions`.
    /// - Returns: the saved policy.
    public func update(
        tenant: TenantID,
        homeRegion: String,
        allowedProcessingRegions: [String],
        isCrossBorderTransferAllowed: Bool,
        actor: AuditActor,
        requestID: String?,
        sourceIP: String?
    ) async throws -> ResidencyPolicy {
        let catalog = try await RegionCatalog(directory: router.directory).all()
        guard let home = catalog.first(where: { $0.id == homeRegion }) else { throw ResidencyError.unknownRegion(homeRegion) }
        let requested = Set(allowedProcessingRegions.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && $0 != home.id })
        let field = "allowed_processing_regions"
        guard requested.count <= 20 else { throw ResidencyPolicyError(field: field, "List at most 20 processing regions") }
        for id in requested.sorted() {
            guard let region = catalog.first(where: { $0.id == id }) else {
                throw ResidencyPolicyError(field: field, "'\(String(id.prefix(40)))' is not a region of this installation")
            }
            guard region.isActive else {
                throw ResidencyPolicyError(field: field, "\(region.id) is \(region.status) and cannot run work; choose an active region")
            }
            guard region.jurisdiction == home.jurisdiction || isCrossBorderTransferAllowed else {
                throw ResidencyPolicyError(
                    field: field,
                    "\(region.id) is in \(Jurisdiction.phrase(region.jurisdiction)), outside \(Jurisdiction.phrase(home.jurisdiction)); "
                        + "allow cross-border transfer to list it, or choose a region in \(Jurisdiction.phrase(home.jurisdiction))"
                )
            }
        }
        let saved = ResidencyPolicy(
            homeRegion: home.id,
            allowedProcessingRegions: requested.sorted(),
            isCrossBorderTransferAllowed: isCrossBorderTransferAllowed
        )
        let previous = try await policy(for: tenant, homeRegion: home.id)
        let event = AuditEvent(
            actor: actor,
            action: "residency.policy_changed",
            target: "tenant:\(tenant)",
            sourceIP: sourceIP,
            requestID: requestID,
            details: [
                "allowed_processing_regions": saved.allowedProcessingRegions.joined(separator: ","),
                "is_cross_border_transfer_allowed": String(saved.isCrossBorderTransferAllowed),
                "previous_allowed_processing_regions": previous.allowedProcessingRegions.joined(separator: ","),
                "previous_is_cross_border_transfer_allowed": String(previous.isCrossBorderTransferAllowed),
            ]
        )
        try await router.withTenantTransaction(tenant) { cell in
            try await AuditLog.record(event, tenant: tenant, on: cell)
            try await router.directory.withTransaction { directory in
                try await directory.execute(
                    """
                    INSERT INTO tenant_residency_policies (tenant_id, allowed_processing_regions, is_cross_border_transfer_allowed)
                    VALUES (\(tenant.rawValue), \(saved.allowedProcessingRegions), \(saved.isCrossBorderTransferAllowed))
                    ON CONFLICT (tenant_id) DO UPDATE SET allowed_processing_regions = EXCLUDED.allowed_processing_regions,
                        is_cross_border_transfer_allowed = EXCLUDED.is_cross_border_transfer_allowed, updated_at = now()
                    """
                )
            }
        }
        return saved
    }

    /// Answers a placement question for the tenant without recording anything.
    public func decide(tenant: TenantID, homeRegion: String, tenantName: String, operation: PlacementOperation, region: String) async throws
        -> PlacementDecision
    {
        let policy = try await policy(for: tenant, homeRegion: homeRegion)
        let catalog = try await RegionCatalog(directory: router.directory).all()
        return Placement.decide(policy, operation, in: region, catalog: catalog, tenantName: tenantName)
    }

    /// Enforces the tenant's policy: returns when the placement is allowed; otherwise records
    /// `residency.placement_refused` (outcome `denied`, target `region:<id>`) in the tenant's home cell in a
    /// transaction of its own (so the caller's refused work can roll back while the record stays) and throws.
    /// - Parameters:
    ///   - tenant: whose data it is.
    ///   - homeRegion: the tenant's home region.
    ///   - tenantName: the organisation's name, for the explanation.
    ///   - operation: store, process or transfer.
    ///   - region: the region asked about.
    ///   - actor: who asked (a member, key, agent or the scheduler as ``AuditActor/system``).
    ///   - requestID: the request id, for the audit row.
    ///   - sourceIP: the client address, for the audit row.
    /// - Throws: ``PlacementRefusal`` naming the rule.
    public func check(
        tenant: TenantID,
        homeRegion: String,
        tenantName: String,
        operation: PlacementOperation,
        region: String,
        actor: AuditActor,
        requestID: String?,
        sourceIP: String?
    ) async throws {
        let decision = try await decide(tenant: tenant, homeRegion: homeRegion, tenantName: tenantName, operation: operation, region: region)
        guard case .refuse(let rule, let explanation) = decision else { return }
        let shownRegion = String(region.prefix(40))
        let event = AuditEvent(
            actor: actor,
            action: "residency.placement_refused",
            target: "region:\(shownRegion)",
            outcome: "denied",
            sourceIP: sourceIP,
            requestID: requestID,
            details: ["rule": rule.rawValue, "operation": operation.rawValue, "region": shownRegion, "home_region": homeRegion]
        )
        try await router.withTenantTransaction(tenant) { connection in
            try await AuditLog.record(event, tenant: tenant, on: connection)
        }
        throw PlacementRefusal(rule: rule, operation: operation, region: shownRegion, explanation: explanation)
    }
}
