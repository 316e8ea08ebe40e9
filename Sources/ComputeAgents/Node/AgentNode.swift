import AgentProtocol
import HTTPClient
import WebServer

/// Namespace for the node side of compute agents: inventory, executors and replica hosting (the agents issue).
public enum AgentNode {
    /// The agent protocol version this node speaks.
    public static let protocolVersion = AgentProtocol.version
}
