import AgentProtocol
import ComputeAgents
import FalajCrypto
import Foundation
import PostgresClient
import Residency
import Testing

/// Registration, authentication, heartbeats and credential renewal.
@Suite struct AgentRegistryTests {
    @Test func registeredAgentAuthenticatesAndHeartbeats() async throws {
        var configuration = RegistryTestBed.configuration
        configuration.heartbeatIntervalSeconds = 7
        try await RegistryTestBed.with(configuration) { bed in
            let response = try await bed.enrol(region: "me-central-1")
            #expect(response.heartbeatIntervalSeconds == 7)
            #expect(response.credential.token.hasPrefix("fag_"))
            #expect(response.credential.expiresAt > Date().addingTimeInterval(3000))
            let identity = try await bed.identity(response.credential)
            #expect(identity.id == response.agentID && identity.region == "me-central-1" && identity.status == .ready)

            let answer = try await bed.services.registry.heartbeat(
                identity,
                RegistryTestBed.heartbeat(running: [RunningJobReport(jobID: UUID(), attempt: 1)])
            )
            #expect(answer.heartbeatIntervalSeconds == 7)
            #expect(answer.credential == nil)  // far from half its lifetime
            #expect(!answer.commands.contains { $0.kind == .drain })
            let summary = try #require(try await bed.services.registry.list(by: RegistryTestBed.platformOperator).first { $0.id == identity.id })
            #expect(summary.free == ResourceAmounts(cpuMillis: 4000, memoryBytes: 8 << 30, gpus: 1))
            #expect(summary.utilization == NodeUtilization(cpuPercent: 12.5, memoryUsedBytes: 1 << 30, gpuPercent: 3))
            #expect(summary.runningJobs == 1 && summary.displayStatus == "busy")
            #expect(summary.inventory.hostname == RegistryTestBed.inventory(hostname: summary.inventory.hostname).hostname)
            #expect(summary.inventory.cpuCores == 4 && summary.inventory.gpus.count == 1 && summary.address == "10.1.2.3")

            #expect(try await bed.services.registry.authenticate("fag_" + SecureRandom.token(byteCount: 32)) == nil)
            #expect(try await bed.services.registry.authenticate("Bearer nonsense") == nil)
        }
    }

    @Test func registrationValidatesTheRequest() async throws {
        try await RegistryTestBed.with { bed in
            let (token, summary) = try await bed.services.joinTokens.create(
                JoinTokenRequest(region: "eu-west-1"),
                by: RegistryTestBed.platformOperator
            )
            var inventory = RegistryTestBed.inventory()
            inventory.hostname = ""
            inventory.cpuCores = 0
            inventory.memoryBytes = -1
            inventory.gpus = (0..<65).map { GPUDevice(index: $0, uuid: "GPU-\($0)", name: "x", memoryBytes: 1, driverVersion: "1") }
            inventory.labels = ["Bad": "x"]
            do {
                _ = try await bed.services.registry.register(RegistrationRequest(joinToken: token, inventory: inventory), remoteAddress: "10.0.0.1")
                Issue.record("an invalid inventory was accepted")
            } catch ComputeAgentsError.invalidFields(let fields) {
                #expect(Set(fields.keys) == ["hostname", "cpu_cores", "memory_bytes", "gpus", "labels"])
            }
            await #expect(throws: ComputeAgentsError.self) {
                _ = try await bed.services.registry.register(
                    RegistrationRequest(joinToken: token, inventory: RegistryTestBed.inventory(), protocolVersion: AgentProtocol.version + 1),
                    remoteAddress: "10.0.0.1"
                )
            }
            // Refused requests do not use the token up.
            #expect(try await bed.services.joinTokens.list(by: RegistryTestBed.platformOperator).first { $0.id == summary.id }?.uses == 0)
        }
    }

    @Test func heartbeatRenewsTheCredentialAndThePreviousOneLastsUntilItExpires() async throws {
        try await RegistryTestBed.with { bed in
            let registry = bed.services.registry
            let original = try await bed.enrol().credential
            let agent = try await bed.identity(original)
            // Less than half of the lifetime (3600 s) is left.
            try await bed.directory("UPDATE agents SET credential_expires_at = now() + interval '10 minutes' WHERE id = \(agent.id)")
            let renewed = try #require(try await registry.heartbeat(agent, RegistryTestBed.heartbeat()).credential)
            #expect(renewed.token != original.token && renewed.expiresAt > Date().addingTimeInterval(3000))
            #expect(try await registry.authenticate(renewed.token)?.id == agent.id)
            #expect(try await registry.authenticate(original.token)?.id == agent.id)

            // A heartbeat with the new credential does not renew again.
            #expect(try await registry.heartbeat(try await bed.identity(renewed), RegistryTestBed.heartbeat()).credential == nil)

            // The previous credential stops working at its own expiry.
            try await bed.directory("UPDATE agents SET previous_credential_expires_at = now() - interval '1 second' WHERE id = \(agent.id)")
            #expect(try await registry.authenticate(original.token) == nil)
            #expect(try await registry.authenticate(renewed.token)?.id == agent.id)
        }
    }

    @Test func lostRenewalAnswerDoesNotLockTheAgentOut() async throws {
        try await RegistryTestBed.with { bed in
            let registry = bed.services.registry
            let original = try await bed.enrol().credential
            let agent = try await bed.identity(original)
            try await bed.directory("UPDATE agents SET credential_expires_at = now() + interval '10 minutes' WHERE id = \(agent.id)")
            let lost = try #require(try await registry.heartbeat(agent, RegistryTestBed.heartbeat()).credential)
            // The agent never saw `lost` and keeps presenting its original credential: it gets a fresh one, and the
            // original stays accepted until its own expiry.
            let stillOriginal = try await bed.identity(original)
            let fresh = try #require(try await registry.heartbeat(stillOriginal, RegistryTestBed.heartbeat()).credential)
            #expect(fresh.token != lost.token && fresh.token != original.token)
            #expect(try await registry.authenticate(fresh.token)?.id == agent.id)
            #expect(try await registry.authenticate(original.token)?.id == agent.id)
            #expect(try await registry.authenticate(lost.token) == nil)
        }
    }

    @Test func expiredCredentialIsRefused() async throws {
        try await RegistryTestBed.with { bed in
            let credential = try await bed.enrol().credential
            let agent = try await bed.identity(credential)
            try await bed.directory("UPDATE agents SET credential_expires_at = now() - interval '1 second' WHERE id = \(agent.id)")
            #expect(try await bed.services.registry.authenticate(credential.token) == nil)
        }
    }

    @Test func revokedAgentIsRefusedAtOnce() async throws {
        try await RegistryTestBed.with { bed in
            let registry = bed.services.registry
            let credential = try await bed.enrol().credential
            let agent = try await bed.identity(credential)
            try await registry.revoke(agent.id, by: RegistryTestBed.platformOperator)
            #expect(try await registry.authenticate(credential.token) == nil)
            // A heartbeat already past authentication is refused too.
            await #expect(throws: ComputeAgentsError.self) { _ = try await registry.heartbeat(agent, RegistryTestBed.heartbeat()) }
            try await registry.revoke(agent.id, by: RegistryTestBed.platformOperator)  // idempotent
            await #expect(throws: ComputeAgentsError.self) { try await registry.drain(agent.id, by: RegistryTestBed.platformOperator) }
            #expect(try await registry.list(by: RegistryTestBed.platformOperator).first { $0.id == agent.id }?.status == .revoked)
        }
    }

    @Test func drainedAgentIsToldToDrain() async throws {
        try await RegistryTestBed.with { bed in
            let registry = bed.services.registry
            let credential = try await bed.enrol().credential
            let agent = try await bed.identity(credential)
            try await registry.drain(agent.id, by: RegistryTestBed.platformOperator)
            try await registry.drain(agent.id, by: RegistryTestBed.platformOperator)  // idempotent
            // Even an identity read before the drain gets the command: the heartbeat reads the status it stores.
            let answer = try await registry.heartbeat(agent, RegistryTestBed.heartbeat())
            #expect(answer.commands.filter { $0.kind == .drain }.count == 1)
            #expect(try await bed.identity(credential).status == .draining)
            #expect(try await registry.list(by: RegistryTestBed.platformOperator).first { $0.id == agent.id }?.displayStatus == "draining")
        }
    }
}
