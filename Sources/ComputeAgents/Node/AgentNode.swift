import AgentProtocol

/// Namespace for the node side of compute agents: inventory, executors and replica hosting (the agents issue).
public enum AgentNode {
    /// The agent protocol version this node speaks.
    public static let protocolVersion = AgentProtocol.version
    /// This agent's version, reported in its inventory.
    public static let version = "0.5.0"
}
