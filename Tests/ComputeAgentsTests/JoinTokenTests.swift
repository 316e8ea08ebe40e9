import AgentProtocol
import ComputeAgents
import FalajCrypto
import Foundation
import PostgresClient
import Residency
import Testing

/// Join tokens: stored as hashes, enrol agents while usable, refused once expired, used up, revoked or unknown.
@Suite struct JoinTokenTests {
    static let refusal = ComputeAgentsError.unauthenticated("The join token is not valid: unknown, expired, revoked or used up")

    @Test func onlyTheTokenHashIsStored() async throws {
        try await RegistryTestBed.with { bed in
            let (token, summary) = try await bed.services.joinTokens.create(
                JoinTokenRequest(region: "eu-west-1", labels: ["pool": "cpu"], description: "lab"),
                by: RegistryTestBed.platformOperator
            )
            #expect(token.hasPrefix("fjn_"))
            #expect(token.utf8.count == 47)
            #expect(Base64URL.decode(token.dropFirst(4))?.count == 32)
            #expect(summary.displayPrefix == String(token.prefix(12)))
            #expect(summary.isUsable && summary.uses == 0 && summary.maxUses == 1 && summary.labels == ["pool": "cpu"])
            let rows = try await bed.directory(
                "SELECT token_hash, row_to_json(t)::text AS everything FROM agent_join_tokens t WHERE id = \(summary.id)"
            )
            #expect(try rows[0]["token_hash", as: [UInt8].self] == SHA256.hash(Array(token.utf8)))
            let stored = try rows[0]["everything", as: String.self]
            #expect(!stored.contains(String(token.dropFirst(12))))

            let registered = try await bed.services.registry.register(
                RegistrationRequest(joinToken: token, inventory: RegistryTestBed.inventory()),
                remoteAddress: "10.0.0.9"
            )
            let agentRows = try await bed.directory(
                "SELECT credential_hash, row_to_json(a)::text AS everything FROM agents a WHERE id = \(registered.agentID)"
            )
            #expect(try agentRows[0]["credential_hash", as: [UInt8].self] == SHA256.hash(Array(registered.credential.token.utf8)))
            #expect(!(try agentRows[0]["everything", as: String.self]).contains(String(registered.credential.token.dropFirst(4))))
        }
    }

    @Test func useCountIsEnforced() async throws {
        try await RegistryTestBed.with { bed in
            let (token, summary) = try await bed.services.joinTokens.create(
                JoinTokenRequest(region: "eu-west-1", maxUses: 2),
                by: RegistryTestBed.platformOperator
            )
            let request = RegistrationRequest(joinToken: token, inventory: RegistryTestBed.inventory())
            let first = try await bed.services.registry.register(request, remoteAddress: "10.0.0.1")
            let second = try await bed.services.registry.register(request, remoteAddress: "10.0.0.2")
            #expect(first.agentID != second.agentID)
            await #expect(throws: Self.refusal) { try await bed.services.registry.register(request, remoteAddress: "10.0.0.3") }
            let listed = try await bed.services.joinTokens.list(by: RegistryTestBed.platformOperator).first { $0.id == summary.id }
            #expect(listed?.uses == 2)
            #expect(listed?.isUsable == false)
        }
    }

    @Test func expiredRevokedAndUnknownTokensAreRefused() async throws {
        try await RegistryTestBed.with { bed in
            let tokens = bed.services.joinTokens
            let registry = bed.services.registry
            let (expired, expiredSummary) = try await tokens.create(
                JoinTokenRequest(region: "eu-west-1", lifetimeSeconds: 60),
                by: RegistryTestBed.platformOperator
            )
            try await bed.directory("UPDATE agent_join_tokens SET expires_at = now() - interval '1 second' WHERE id = \(expiredSummary.id)")
            await #expect(throws: Self.refusal) {
                try await registry.register(
                    RegistrationRequest(joinToken: expired, inventory: RegistryTestBed.inventory()),
                    remoteAddress: "10.0.0.1"
                )
            }

            let (revoked, revokedSummary) = try await tokens.create(JoinTokenRequest(region: "eu-west-1"), by: RegistryTestBed.platformOperator)
            try await tokens.revoke(revokedSummary.id, by: RegistryTestBed.platformOperator)
            try await tokens.revoke(revokedSummary.id, by: RegistryTestBed.platformOperator)  // idempotent
            await #expect(throws: Self.refusal) {
                try await registry.register(
                    RegistrationRequest(joinToken: revoked, inventory: RegistryTestBed.inventory()),
                    remoteAddress: "10.0.0.1"
                )
            }
            #expect(try await tokens.list(by: RegistryTestBed.platformOperator).first { $0.id == revokedSummary.id }?.revokedAt != nil)

            for unknown in ["fjn_" + SecureRandom.token(byteCount: 32), "fjn_short", "", "fag_" + SecureRandom.token(byteCount: 32)] {
                await #expect(throws: Self.refusal) {
                    try await registry.register(
                        RegistrationRequest(joinToken: unknown, inventory: RegistryTestBed.inventory()),
                        remoteAddress: "10.0.0.1"
                    )
                }
            }
            await #expect(throws: ComputeAgentsError.notFound("No join token with that id")) {
                try await tokens.revoke(UUID(), by: RegistryTestBed.platformOperator)
            }
            let uses = try await bed.directory("SELECT coalesce(sum(uses), 0)::int8 AS total FROM agent_join_tokens")
            #expect(try uses[0]["total", as: Int.self] == 0)
        }
    }

    @Test func creationValidatesEveryField() async throws {
        try await RegistryTestBed.with { bed in
            let request = JoinTokenRequest(
                region: "mars-north-1",
                labels: ["Bad Key": "x"],
                description: String(repeating: "d", count: 201),
                maxUses: 0,
                lifetimeSeconds: 59
            )
            do {
                _ = try await bed.services.joinTokens.create(request, by: RegistryTestBed.platformOperator)
                Issue.record("an invalid request was accepted")
            } catch ComputeAgentsError.invalidFields(let fields) {
                #expect(Set(fields.keys) == ["region", "labels", "description", "max_uses", "lifetime_seconds"])
            }
            await #expect(throws: ComputeAgentsError.self) {
                _ = try await bed.services.joinTokens.create(
                    JoinTokenRequest(region: "eu-west-1", dedicatedTenantID: TenantID.generate()),
                    by: RegistryTestBed.platformOperator
                )
            }
            await #expect(throws: ComputeAgentsError.self) {
                _ = try await bed.services.joinTokens.create(
                    JoinTokenRequest(region: "eu-west-1", lifetimeSeconds: 30 * 86_400 + 1),
                    by: RegistryTestBed.platformOperator
                )
            }
        }
    }

    @Test func tokenLabelsOverrideInventoryLabels() async throws {
        try await RegistryTestBed.with { bed in
            let (token, _) = try await bed.services.joinTokens.create(
                JoinTokenRequest(region: "me-central-1", labels: ["pool": "gpu", "zone": "a"]),
                by: RegistryTestBed.platformOperator
            )
            let response = try await bed.services.registry.register(
                RegistrationRequest(joinToken: token, inventory: RegistryTestBed.inventory(labels: ["pool": "cpu", "rack": "7"])),
                remoteAddress: "10.0.0.4"
            )
            #expect(response.region == "me-central-1")
            #expect(response.dedicatedTenantID == nil)
            let identity = try await bed.identity(response.credential)
            #expect(identity.labels == ["pool": "gpu", "zone": "a", "rack": "7"])
            #expect(identity.address == "10.0.0.4")
            #expect(identity.gpus.map(\.uuid) == ["GPU-1234"])
        }
    }
}

/// Label rules, checked when a token is created.
@Suite struct NodeLabelRuleTests {
    @Test func labelKeysAndValuesAreChecked() async throws {
        try await RegistryTestBed.with { bed in
            let create = { (labels: [String: String]) in
                try await bed.services.joinTokens.create(JoinTokenRequest(region: "eu-west-1", labels: labels), by: RegistryTestBed.platformOperator)
            }
            _ = try await create(["a": "", "gpu.type": "h200", "x-1_y": String(repeating: "v", count: 63), String(repeating: "k", count: 63): "ok"])
            for bad in [
                ["-a": "x"], ["a-": "x"], ["A": "x"], ["": "x"], [String(repeating: "k", count: 64): "x"], ["a": String(repeating: "v", count: 64)],
                ["a": "tab\there"],
            ] {
                await #expect(throws: ComputeAgentsError.self) { _ = try await create(bad) }
            }
            let many = Dictionary(uniqueKeysWithValues: (0..<21).map { ("k\($0)", "v") })
            await #expect(throws: ComputeAgentsError.self) { _ = try await create(many) }
        }
    }
}
