public import AgentProtocol
public import Foundation
public import Residency
public import Tenancy

/// The agent registry in the directory database.
public struct AgentRegistry: Sendable {
    let context: ComputeAgentsContext

    /// Enrols an agent with a join token: checks it (hash, expiry, uses, revocation), counts the use, stores the
    /// inventory and returns a fresh credential. `remoteAddress` is used as the rendezvous address when the agent does
    /// not advertise one.
    /// - Throws: ``ComputeAgentsError/unauthenticated(_:)`` for a bad token, ``ComputeAgentsError/invalidFields(_:)``.
    public func register(_ request: RegistrationRequest, remoteAddress: String) async throws -> RegistrationResponse { fatalError() }

    /// The agent behind a bearer credential, or nil when it is unknown or expired, or the agent is revoked.
    public func authenticate(_ bearer: String) async throws -> AgentIdentity? { fatalError() }

    /// Records a heartbeat (free resources, utilisation, last seen; a lost agent comes back to ready), renews the
    /// leases of the attempts it reports, and answers with commands (cancel attempts that are no longer its own or
    /// whose job was cancelled, drain) and, past half its lifetime, a renewed credential.
    public func heartbeat(_ agent: AgentIdentity, _ report: HeartbeatRequest) async throws -> HeartbeatResponse { fatalError() }

    /// Agents the administrator may see (operators: all; tenant admins: their dedicated ones), by region then host.
    public func list(by administrator: NodeAdministrator) async throws -> [AgentSummary] { fatalError() }

    /// Stops an agent from leasing new work; running jobs finish.
    public func drain(_ id: UUID, by administrator: NodeAdministrator) async throws { fatalError() }

    /// Refuses the agent from now on and releases its leases (their jobs are queued again).
    public func revoke(_ id: UUID, by administrator: NodeAdministrator) async throws { fatalError() }
}
