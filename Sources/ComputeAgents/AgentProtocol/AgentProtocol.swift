/// Namespace for the agent wire protocol shared by the control plane and `falaj-agent` (DESIGN.md §3).
public enum AgentProtocol {
    /// The protocol version both sides announce; bumped on incompatible changes.
    public static let version = 1
}
