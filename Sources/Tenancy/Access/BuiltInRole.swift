/// The roles every tenant has. Custom roles (enterprise plan) are stored per tenant; these live in code so a
/// release can change them everywhere at once.
public enum BuiltInRole: String, CaseIterable, Sendable, Codable {
    /// Everything, including billing and ownership. A tenant always keeps at least one owner.
    case owner
    /// Everything except changing the plan; cannot grant or take away the owner role.
    case admin
    /// Builds and ships models: data, training, promotion and deployments.
    case mlEngineer = "ml_engineer"
    /// Works with data and trains models; cannot promote or deploy.
    case dataScientist = "data_scientist"
    /// Reads everything on the ML side; changes nothing.
    case viewer
    /// Reads the audit trail and everything a viewer reads, for compliance reviews.
    case auditor
    /// Sees usage and invoices and manages the plan.
    case billing

    /// The permissions the role grants: the single permission table.
    public var permissions: Set<Permission> {
        let readML: Set<Permission> = [.tenantRead, .membersRead, .dataRead, .modelsRead, .deploymentsRead, .jobsRead]
        switch self {
        case .owner: return Set(Permission.allCases)
        case .admin: return Set(Permission.allCases).subtracting([.billingManage])
        case .mlEngineer:
            return readML.union([.keysManage, .dataWrite, .modelsWrite, .modelsPromote, .modelsApprove, .deploymentsWrite, .predict, .jobsWrite])
        case .dataScientist: return readML.union([.keysManage, .dataWrite, .modelsWrite, .predict, .jobsWrite])
        case .viewer: return readML
        case .auditor: return readML.union([.auditRead])
        case .billing: return [.tenantRead, .billingRead, .billingManage]
        }
    }

    /// The name shown in the portal.
    public var displayName: String {
        switch self {
        case .owner: "Owner"
        case .admin: "Admin"
        case .mlEngineer: "ML engineer"
        case .dataScientist: "Data scientist"
        case .viewer: "Viewer"
        case .auditor: "Auditor"
        case .billing: "Billing"
        }
    }

    /// Whether a tenant policy "require MFA for admins" applies to this role.
    public var isAdministrative: Bool { self == .owner || self == .admin }
}

/// A role as a member holds it: built-in or one of the tenant's custom roles.
public struct Role: Sendable, Equatable, Codable {
    /// `owner`, `admin`, … or a custom key such as `custom-data-steward`.
    public var key: String
    /// The name shown in the portal.
    public var displayName: String
    /// What it grants.
    public var permissions: Set<Permission>
    /// Whether it is one of ``BuiltInRole``.
    public var isBuiltIn: Bool

    /// Creates a role value.
    public init(key: String, displayName: String, permissions: Set<Permission>, isBuiltIn: Bool) {
        self.key = key
        self.displayName = displayName
        self.permissions = permissions
        self.isBuiltIn = isBuiltIn
    }

    /// The value for a built-in role.
    public init(_ role: BuiltInRole) {
        self.init(key: role.rawValue, displayName: role.displayName, permissions: role.permissions, isBuiltIn: true)
    }

    /// Whether this is the owner role.
    public var isOwner: Bool { key == BuiltInRole.owner.rawValue }

    /// Whether the tenant's "MFA for admins" policy applies: owner, admin, or a custom role that can manage members
    /// or security.
    public var isAdministrative: Bool {
        BuiltInRole(rawValue: key)?.isAdministrative ?? !permissions.isDisjoint(with: [.membersManage, .securityManage])
    }
}
