public import AgentProtocol
import Foundation
import PostgresClient
import Residency
import Tenancy

/// The agent registry in the directory database.
public struct AgentRegistry: Sendable {
    let context: ComputeAgentsContext

    /// The one answer for every join token that cannot enrol (so a caller learns nothing about which tokens exist).
    static let invalidJoinToken = ComputeAgentsError.unauthenticated("The join token is not valid: unknown, expired, revoked or used up")

    /// Enrols an agent with a join token: checks it (hash, expiry, uses, revocation), counts the use, stores the
    /// inventory and returns a fresh credential. `remoteAddress` is used as the rendezvous address when the agent does
    /// not advertise one. Labels are the inventory's, overridden by the token's. Audited as `agents.registered` for a
    /// tenant-dedicated token.
    /// - Throws: ``ComputeAgentsError/unauthenticated(_:)`` for a bad token, ``ComputeAgentsError/invalidFields(_:)``.
    public func register(_ request: RegistrationRequest, remoteAddress: String) async throws -> RegistrationResponse {
        guard request.protocolVersion == AgentProtocol.version else {
            throw ComputeAgentsError.invalid(
                field: "protocol_version",
                "This server speaks agent protocol \(AgentProtocol.version), the agent \(request.protocolVersion); install a matching falaj-agent"
            )
        }
        let inventory = request.inventory
        let address = inventory.advertiseAddress ?? remoteAddress
        try Self.validate(inventory, address: address)
        guard AgentSecrets.isWellFormed(request.joinToken, prefix: AgentSecrets.joinTokenPrefix) else { throw Self.invalidJoinToken }

        let id = UUID()
        let credential = AgentSecrets.makeCredential()
        let configuration = context.configuration
        let gpus = try PostgresJSON(encoding: inventory.gpus)
        let enrolled = try await context.router.directory.withTransaction { connection in
            guard
                let token = try await connection.query(
                    """
                    SELECT id, region_id, dedicated_tenant_id, labels, (revoked_at IS NULL AND expires_at > now() AND uses < max_uses) AS is_usable
                    FROM agent_join_tokens WHERE token_hash = \(AgentSecrets.hash(request.joinToken)) FOR UPDATE
                    """
                ).first, try token["is_usable", as: Bool.self]
            else { throw Self.invalidJoinToken }
            let tokenID = try token["id", as: UUID.self]
            let region = try token["region_id", as: String.self]
            let tenant = try token["dedicated_tenant_id", as: UUID?.self].map(TenantID.init)
            let labels = inventory.labels.merging(try token["labels", as: PostgresJSON.self].decode([String: String].self)) { _, fromToken in
                fromToken
            }
            try await connection.execute("UPDATE agent_join_tokens SET uses = uses + 1 WHERE id = \(tokenID)")
            let expiresAt = try await connection.query(
                """
                INSERT INTO agents (id, region_id, dedicated_tenant_id, join_token_id, hostname, operating_system, cpu_model, cpu_cores, memory_bytes,
                                    disk_bytes, gpus, labels, agent_version, address, credential_hash, credential_expires_at, heartbeat_interval_seconds)
                VALUES (\(id), \(region), \(tenant?.rawValue), \(tokenID), \(inventory.hostname), \(inventory.operatingSystem), \(inventory.cpuModel),
                        \(inventory.cpuCores), \(inventory.memoryBytes), \(inventory.diskBytes), \(gpus), \(try PostgresJSON(encoding: labels)),
                        \(inventory.agentVersion), \(address), \(AgentSecrets.hash(credential)),
                        now() + make_interval(secs => \(configuration.credentialLifetimeSeconds)), \(configuration.heartbeatIntervalSeconds))
                RETURNING credential_expires_at
                """
            )[0]["credential_expires_at", as: Date.self]
            let event = AuditEvent(
                actor: .agent(id),
                action: "agents.registered",
                target: "agent:\(id.uuidString.lowercased())",
                sourceIP: remoteAddress,
                details: ["join_token": tokenID.uuidString.lowercased(), "hostname": inventory.hostname, "region": region]
            )
            if let tenant { try await context.audit(event, tenant: tenant) }
            return (region: region, tenant: tenant, expiresAt: expiresAt, event: event)
        }
        if enrolled.tenant == nil { context.logSharedAction(enrolled.event) }
        return RegistrationResponse(
            agentID: id,
            region: enrolled.region,
            dedicatedTenantID: enrolled.tenant?.rawValue,
            credential: AgentCredential(token: credential, expiresAt: enrolled.expiresAt),
            heartbeatIntervalSeconds: configuration.heartbeatIntervalSeconds
        )
    }

    /// The agent behind a bearer credential, or nil when it is unknown or expired, or the agent is revoked.
    ///
    /// Both the current credential and the previous one (until its own expiry) are accepted, so an agent whose
    /// renewal answer was lost is not locked out.
    public func authenticate(_ bearer: String) async throws -> AgentIdentity? {
        guard AgentSecrets.isWellFormed(bearer, prefix: AgentSecrets.credentialPrefix) else { return nil }
        let hash = AgentSecrets.hash(bearer)
        let row = try await context.router.directory.withConnection { connection in
            try await connection.query(
                """
                SELECT id, region_id, dedicated_tenant_id, status, labels, gpus, address, credential_hash <> \(hash) AS is_previous
                FROM agents
                WHERE status <> 'revoked'
                  AND ((credential_hash = \(hash) AND credential_expires_at > now())
                       OR (previous_credential_hash = \(hash) AND previous_credential_expires_at > now()))
                """
            ).first
        }
        guard let row else { return nil }
        return AgentIdentity(
            id: try row["id", as: UUID.self],
            region: try row["region_id", as: String.self],
            dedicatedTenantID: try row["dedicated_tenant_id", as: UUID?.self].map(TenantID.init),
            status: try Self.status(row),
            labels: try row["labels", as: PostgresJSON.self].decode([String: String].self),
            gpus: try row["gpus", as: PostgresJSON.self].decode([GPUDevice].self),
            address: try row["address", as: String.self],
            isUsingPreviousCredential: try row["is_previous", as: Bool.self]
        )
    }

    /// Decodes the `status` column.
    static func status(_ row: PostgresRow) throws -> AgentStatus {
        let text = try row["status", as: String.self]
        guard let status = AgentStatus(rawValue: text) else { throw ComputeAgentsError.conflict("Unknown agent status '\(text)'") }
        return status
    }
}
