public import Foundation
public import Tenancy

/// Who manages nodes and join tokens: a platform operator (every agent) or a tenant admin holding `nodes.manage`
/// (only agents and tokens dedicated to their tenant).
public enum NodeAdministrator: Sendable {
    /// A signed-in platform operator.
    case platformOperator(id: UUID, requestID: String, clientAddress: String)
    /// A member of a tenant; must hold ``Permission/nodesManage`` to change anything.
    case tenantAdmin(RequestContext)

    /// The `created_by` text stored with a join token.
    public var recordedName: String {
        switch self {
        case .platformOperator(let id, _, _): "operator:\(id.uuidString.lowercased())"
        case .tenantAdmin(let context): context.actor.userID.map { "user:\($0.uuidString.lowercased())" } ?? "tenant:\(context.tenantID)"
        }
    }
}
