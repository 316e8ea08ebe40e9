import AgentProtocol
import Foundation
import Residency
import Tenancy

extension JobQueue {
    /// Refuses resources the tenant's plan does not include (GPUs, more nodes than allowed).
    static func checkPlan(_ resources: ResourceRequest, quota: JobQuota) throws(ComputeAgentsError) {
        if resources.gpus > 0 && !quota.isGPUAllowed {
            throw .quotaExceeded("Your plan does not include GPU jobs; ask for 0 GPUs or upgrade the plan")
        }
        if resources.nodes > quota.maximumNodes {
            throw .quotaExceeded(
                "Your plan allows jobs on at most \(quota.maximumNodes) node\(quota.maximumNodes == 1 ? "" : "s"); this job asks for \(resources.nodes)"
            )
        }
    }

    /// The regions the tenant's residency policy allows to process the job (every region of the catalog the
    /// placement function allows), or just `requested` when it is given and allowed.
    /// - Throws: ``ComputeAgentsError/placementRefused(_:)`` (audited as `residency.placement_refused`) when `requested`
    ///   is refused.
    func allowedRegions(for requested: String?, request: RequestContext) async throws -> [String] {
        let policies = ResidencyPolicies(router: context.router)
        let tenant = request.tenant
        if let requested {
            let decision = try await policies.decide(
                tenant: tenant.id, homeRegion: tenant.homeRegion, tenantName: tenant.displayName, operation: .process, region: requested
            )
            guard decision.isAllowed else {
                do {
                    try await policies.check(
                        tenant: tenant.id, homeRegion: tenant.homeRegion, tenantName: tenant.displayName, operation: .process, region: requested,
                        actor: request.auditActor, requestID: request.requestID, sourceIP: request.clientAddress
                    )
                } catch let refusal as PlacementRefusal {
                    throw ComputeAgentsError.placementRefused(refusal)
                }
                throw ComputeAgentsError.invalid(field: "region", "The residency policy does not allow processing in \(requested)")
            }
            return [requested]
        }
        let policy = try await policies.policy(for: tenant.id, homeRegion: tenant.homeRegion)
        let catalog = try await RegionCatalog(directory: context.router.directory).all()
        let allowed = catalog.filter { Placement.decide(policy, .process, in: $0.id, catalog: catalog, tenantName: tenant.displayName).isAllowed }
        guard !allowed.isEmpty else {
            throw ComputeAgentsError.conflict("The residency policy allows no active region to process this organisation's data")
        }
        return allowed.map(\.id)
    }
}
