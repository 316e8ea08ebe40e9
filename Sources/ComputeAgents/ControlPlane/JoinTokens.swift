public import AgentProtocol
public import Foundation
public import Residency
public import Tenancy

/// Join tokens: created by operators (any region, shared or dedicated) or tenant admins (dedicated to their tenant).
public struct JoinTokens: Sendable {
    let context: ComputeAgentsContext

    /// Creates a token; returns it once, in clear, with its summary. Audited for tenant-dedicated tokens.
    /// - Throws: ``ComputeAgentsError/invalidFields(_:)``, ``ComputeAgentsError/forbidden(_:)`` (a tenant admin without
    ///   `nodes.manage`, or asking for another tenant or a region its residency policy does not allow for processing).
    public func create(_ request: JoinTokenRequest, by administrator: NodeAdministrator) async throws -> (token: String, summary: JoinTokenSummary) {
        fatalError()
    }

    /// Tokens the administrator may see (operators: all; tenant admins: their tenant's), newest first.
    public func list(by administrator: NodeAdministrator) async throws -> [JoinTokenSummary] { fatalError() }

    /// Revokes a token; agents already enrolled stay enrolled.
    public func revoke(_ id: UUID, by administrator: NodeAdministrator) async throws { fatalError() }
}
