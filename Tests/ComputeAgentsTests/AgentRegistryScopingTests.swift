import AgentProtocol
import ComputeAgents
import Foundation
import Residency
import Tenancy
import Testing

/// Tenant admins manage only their own dedicated tokens and agents, need `nodes.manage`, stay within their
/// residency policy, and every action on a dedicated token or agent lands in the tenant's audit trail.
@Suite struct AgentRegistryScopingTests {
    @Test func tenantAdminsSeeAndChangeOnlyTheirOwnNodes() async throws {
        try await RegistryTestBed.with { bed in
            let alpha = try await bed.owner(of: "Alpha Labs")
            let beta = try await bed.owner(of: "Beta Works")
            let (token, summary) = try await bed.services.joinTokens.create(
                JoinTokenRequest(region: "eu-west-1", description: "alpha nodes"),
                by: .tenantAdmin(alpha)
            )
            #expect(summary.dedicatedTenantID == alpha.tenantID)
            #expect(summary.createdBy == "user:\(alpha.actor.userID!.uuidString.lowercased())")
            let response = try await bed.services.registry.register(
                RegistrationRequest(joinToken: token, inventory: RegistryTestBed.inventory()),
                remoteAddress: "10.0.0.5"
            )
            #expect(response.dedicatedTenantID == alpha.tenantID.rawValue)
            let shared = try await bed.enrol()

            let registry = bed.services.registry
            let tokens = bed.services.joinTokens
            #expect(try await registry.list(by: .tenantAdmin(alpha)).map(\.id) == [response.agentID])
            #expect(try await registry.list(by: .tenantAdmin(beta)).isEmpty)
            #expect(Set(try await registry.list(by: RegistryTestBed.platformOperator).map(\.id)) == [response.agentID, shared.agentID])
            #expect(try await tokens.list(by: .tenantAdmin(alpha)).map(\.id) == [summary.id])
            #expect(try await tokens.list(by: .tenantAdmin(beta)).isEmpty)

            let hidden = ComputeAgentsError.notFound("No compute node with that id")
            await #expect(throws: hidden) { try await registry.revoke(response.agentID, by: .tenantAdmin(beta)) }
            await #expect(throws: hidden) { try await registry.drain(response.agentID, by: .tenantAdmin(beta)) }
            await #expect(throws: hidden) { try await registry.revoke(shared.agentID, by: .tenantAdmin(alpha)) }
            await #expect(throws: ComputeAgentsError.notFound("No join token with that id")) {
                try await tokens.revoke(summary.id, by: .tenantAdmin(beta))
            }
            #expect(try await bed.identity(response.credential).status == .ready)

            // A tenant admin cannot dedicate a token to someone else.
            await #expect(throws: ComputeAgentsError.self) {
                _ = try await tokens.create(JoinTokenRequest(region: "eu-west-1", dedicatedTenantID: beta.tenantID), by: .tenantAdmin(alpha))
            }
            try await registry.revoke(response.agentID, by: .tenantAdmin(alpha))
            #expect(try await registry.authenticate(response.credential.token) == nil)
        }
    }

    @Test func membersWithoutNodesManageAreForbidden() async throws {
        try await RegistryTestBed.with { bed in
            let owner = try await bed.owner(of: "Gamma Analytics")
            let viewer = NodeAdministrator.tenantAdmin(bed.viewer(of: owner))
            let agent = try await bed.enrol(by: .tenantAdmin(owner))
            let forbidden = ComputeAgentsError.forbidden("Managing compute nodes and join tokens needs the nodes.manage permission")
            await #expect(throws: forbidden) { _ = try await bed.services.joinTokens.create(JoinTokenRequest(region: "eu-west-1"), by: viewer) }
            await #expect(throws: forbidden) { _ = try await bed.services.joinTokens.list(by: viewer) }
            await #expect(throws: forbidden) { _ = try await bed.services.registry.list(by: viewer) }
            await #expect(throws: forbidden) { try await bed.services.registry.drain(agent.agentID, by: viewer) }
            await #expect(throws: forbidden) { try await bed.services.registry.revoke(agent.agentID, by: viewer) }
        }
    }

    @Test func regionOutsideTheResidencyPolicyIsRefusedAndAudited() async throws {
        try await RegistryTestBed.with { bed in
            let owner = try await bed.owner(of: "Delta Health", region: "eu-west-1")
            do {
                _ = try await bed.services.joinTokens.create(JoinTokenRequest(region: "me-central-1"), by: .tenantAdmin(owner))
                Issue.record("a token for a region outside the policy was created")
            } catch ComputeAgentsError.placementRefused(let refusal) {
                #expect(refusal.operation == .process && refusal.region == "me-central-1")
            }
            let refusals = try await bed.auditRows(of: owner.tenantID, prefix: "residency.placement_refused")
            #expect(refusals.count == 1)
            #expect(refusals.first?.actor == owner.auditActor && refusals.first?.outcome == "denied")
            #expect(try await bed.services.joinTokens.list(by: .tenantAdmin(owner)).isEmpty)
            #expect(try await bed.auditRows(of: owner.tenantID, prefix: "agents.").isEmpty)

            // An operator cannot dedicate a node to the tenant there either.
            await #expect(throws: ComputeAgentsError.self) {
                _ = try await bed.services.joinTokens.create(
                    JoinTokenRequest(region: "me-central-1", dedicatedTenantID: owner.tenantID),
                    by: RegistryTestBed.platformOperator
                )
            }
            #expect(try await bed.auditRows(of: owner.tenantID, prefix: "residency.placement_refused").count == 2)
        }
    }

    @Test func operatorsDedicateTokensToActiveTenants() async throws {
        try await RegistryTestBed.with { bed in
            let owner = try await bed.owner(of: "Zeta Motors")
            let (_, summary) = try await bed.services.joinTokens.create(
                JoinTokenRequest(region: "eu-west-1", dedicatedTenantID: owner.tenantID),
                by: RegistryTestBed.platformOperator
            )
            #expect(summary.dedicatedTenantID == owner.tenantID && summary.createdBy.hasPrefix("operator:"))
            #expect(try await bed.services.joinTokens.list(by: .tenantAdmin(owner)).map(\.id) == [summary.id])
            let created = try await bed.auditRows(of: owner.tenantID, prefix: "agents.join_token_created")
            #expect(created.count == 1 && created.first?.actor.kind == "operator")
            await #expect(throws: ComputeAgentsError.invalid(field: "dedicated_tenant_id", "No active organisation with that id")) {
                _ = try await bed.services.joinTokens.create(
                    JoinTokenRequest(region: "eu-west-1", dedicatedTenantID: TenantID.generate()),
                    by: RegistryTestBed.platformOperator
                )
            }
        }
    }

    @Test func dedicatedTokenAndAgentActionsAreAudited() async throws {
        try await RegistryTestBed.with { bed in
            let owner = try await bed.owner(of: "Epsilon Robotics")
            let admin = NodeAdministrator.tenantAdmin(owner)
            let (token, summary) = try await bed.services.joinTokens.create(JoinTokenRequest(region: "eu-west-1", maxUses: 2), by: admin)
            let first = try await bed.services.registry.register(
                RegistrationRequest(joinToken: token, inventory: RegistryTestBed.inventory(hostname: "gpu-1")),
                remoteAddress: "10.0.0.6"
            )
            let second = try await bed.services.registry.register(
                RegistrationRequest(joinToken: token, inventory: RegistryTestBed.inventory(hostname: "gpu-2")),
                remoteAddress: "10.0.0.7"
            )
            try await bed.services.registry.drain(first.agentID, by: admin)
            // An operator acting on the tenant's agent is recorded in the tenant's trail as the operator.
            guard case .platformOperator(let operatorID, _, _) = RegistryTestBed.platformOperator else { return }
            try await bed.services.registry.revoke(second.agentID, by: RegistryTestBed.platformOperator)
            try await bed.services.joinTokens.revoke(summary.id, by: admin)

            // Shared tokens and agents leave the tenant's trail alone.
            _ = try await bed.enrol()

            let rows = try await bed.auditRows(of: owner.tenantID, prefix: "agents.")
            #expect(
                rows.map(\.action) == [
                    "agents.join_token_created", "agents.registered", "agents.registered", "agents.drained", "agents.revoked",
                    "agents.join_token_revoked",
                ]
            )
            #expect(rows[0].actor == owner.auditActor && rows[0].target == "agent_join_token:\(summary.id.uuidString.lowercased())")
            #expect(rows[1].actor == .agent(first.agentID) && rows[1].details["hostname"] == "gpu-1" && rows[1].sourceIP == "10.0.0.6")
            #expect(rows[3].actor == owner.auditActor && rows[3].target == "agent:\(first.agentID.uuidString.lowercased())")
            #expect(rows[4].actor == .platformOperator(operatorID))
            #expect(rows.allSatisfy { !$0.details.values.contains { $0.contains("fjn_") || $0.contains("fag_") } })
        }
    }
}
