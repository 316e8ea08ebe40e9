public import Foundation

/// `POST /agent/v1/register`: a new node presents a join token and its inventory.
public struct RegistrationRequest: Codable, Sendable {
    /// The join token an operator or tenant admin created (`fjn_…`).
    public var joinToken: String
    /// What the node is.
    public var inventory: AgentInventory
    /// The protocol version the agent speaks (``AgentProtocol/version``).
    public var protocolVersion: Int

    /// Creates a registration request.
    public init(joinToken: String, inventory: AgentInventory, protocolVersion: Int = AgentProtocol.version) {
        self.joinToken = joinToken
        self.inventory = inventory
        self.protocolVersion = protocolVersion
    }
}

/// The answer to a registration: who the agent now is and the credential it uses from then on.
public struct RegistrationResponse: Codable, Sendable {
    /// The agent's id.
    public var agentID: UUID
    /// The region the agent belongs to (from the join token).
    public var region: String
    /// The tenant the agent is dedicated to, if the join token was tenant-scoped.
    public var dedicatedTenantID: UUID?
    /// The agent credential; renewed through heartbeats before it expires.
    public var credential: AgentCredential
    /// How often to heartbeat, in seconds.
    public var heartbeatIntervalSeconds: Int

    /// Creates a registration response.
    public init(agentID: UUID, region: String, dedicatedTenantID: UUID?, credential: AgentCredential, heartbeatIntervalSeconds: Int) {
        self.agentID = agentID
        self.region = region
        self.dedicatedTenantID = dedicatedTenantID
        self.credential = credential
        self.heartbeatIntervalSeconds = heartbeatIntervalSeconds
    }
}

/// A short-lived agent credential (`fag_…`); the server stores only its hash.
public struct AgentCredential: Codable, Sendable, Equatable {
    /// The bearer token.
    public var token: String
    /// When the server stops accepting it unless renewed.
    public var expiresAt: Date

    /// Creates a credential.
    public init(token: String, expiresAt: Date) {
        self.token = token
        self.expiresAt = expiresAt
    }
}
