import AgentProtocol
import Residency
import Tenancy

/// Namespace for the control-plane side of compute agents: registry, job queue and scheduler (the agents issue).
public enum ComputeAgentsModule {
    /// The agent protocol version this control plane speaks.
    public static let protocolVersion = AgentProtocol.version
}
