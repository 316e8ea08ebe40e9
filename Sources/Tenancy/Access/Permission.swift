/// One thing a member or API key may do, named `resource.action`.
///
/// This enum plus ``BuiltInRole/permissions`` is the single permission table: the portal's route declarations, the
/// API's route declarations, API-key scopes and the permission-matrix test all read it.
public enum Permission: String, CaseIterable, Sendable, Codable, Comparable {
    /// See the tenant's dashboard and overview.
    case tenantRead = "tenant.read"
    /// List members, their roles and pending invitations.
    case membersRead = "members.read"
    /// Invite, change roles, remove members, require MFA for a member.
    case membersManage = "members.manage"
    /// Define and delete custom roles (enterprise plan).
    case rolesManage = "roles.manage"
    /// Create, list and revoke one's own API keys.
    case keysManage = "keys.manage"
    /// Change session lifetimes, the MFA policy and allowed e-mail domains.
    case securityManage = "security.manage"
    /// Read the audit trail.
    case auditRead = "audit.read"
    /// Read usage and invoices.
    case billingRead = "billing.read"
    /// Change the plan and payment details.
    case billingManage = "billing.manage"
    /// Read projects, datasets and feature groups.
    case dataRead = "data.read"
    /// Create projects, upload datasets, define and ingest features.
    case dataWrite = "data.write"
    /// Read runs, experiments and models.
    case modelsRead = "models.read"
    /// Start training runs and register model versions.
    case modelsWrite = "models.write"
    /// Promote model versions past their gates and move aliases.
    case modelsPromote = "models.promote"
    /// Approve or reject another member's promotion request when the model's gates require a reviewer.
    case modelsApprove = "models.approve"
    /// Read deployments and their metrics.
    case deploymentsRead = "deployments.read"
    /// Create, change and roll back deployments.
    case deploymentsWrite = "deployments.write"
    /// Call a deployment's prediction endpoint.
    case predict = "predict"
    /// See compute jobs, their logs, metrics and artifacts.
    case jobsRead = "jobs.read"
    /// Submit and cancel compute jobs.
    case jobsWrite = "jobs.write"
    /// Enrol, drain and revoke compute nodes dedicated to the organisation, and manage their join tokens.
    case nodesManage = "nodes.manage"

    /// Orders by name, for stable display.
    public static func < (lhs: Permission, rhs: Permission) -> Bool { lhs.rawValue < rhs.rawValue }

    /// A sentence saying what the permission allows, for the roles page.
    public var summary: String {
        switch self {
        case .tenantRead: "See the organisation's dashboard"
        case .membersRead: "See members and invitations"
        case .membersManage: "Invite, change roles and remove members"
        case .rolesManage: "Define custom roles"
        case .keysManage: "Create and revoke own API keys"
        case .securityManage: "Change security settings"
        case .auditRead: "Read the audit trail"
        case .billingRead: "See usage and invoices"
        case .billingManage: "Change plan and billing details"
        case .dataRead: "Read projects, datasets and features"
        case .dataWrite: "Upload data and define features"
        case .modelsRead: "Read runs and models"
        case .modelsWrite: "Train and register models"
        case .modelsPromote: "Promote models"
        case .modelsApprove: "Approve others' model promotions"
        case .deploymentsRead: "Read deployments"
        case .deploymentsWrite: "Change deployments"
        case .predict: "Call prediction endpoints"
        case .jobsRead: "See compute jobs and their logs"
        case .jobsWrite: "Submit and cancel compute jobs"
        case .nodesManage: "Manage the organisation's dedicated compute nodes"
        }
    }

    /// Parses a list of permission names, rejecting unknown ones with a message that names them.
    public static func parse(_ names: [String]) throws(TenancyError) -> Set<Permission> {
        var result = Set<Permission>()
        var unknown: [String] = []
        for name in names {
            if let permission = Permission(rawValue: name) { result.insert(permission) } else { unknown.append(name) }
        }
        guard unknown.isEmpty else {
            throw TenancyError.invalid(field: "permissions", "Unknown permission \(unknown.map { "'\($0)'" }.joined(separator: ", "))")
        }
        return result
    }
}
