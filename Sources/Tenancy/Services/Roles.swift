import Foundation
import PostgresClient
import Residency

/// Built-in roles plus a tenant's custom roles (enterprise plan).
public struct Roles: Sendable {
    let environment: TenancyEnvironment

    /// Resolves a membership's role key inside a tenant transaction. An unknown key (a custom role deleted under a
    /// member) grants nothing beyond seeing the dashboard.
    nonisolated(nonsending) static func resolve(_ key: String, on connection: PostgresConnection) async throws -> Role {
        if let builtIn = BuiltInRole(rawValue: key) { return Role(builtIn) }
        let rows = try await connection.query("SELECT display_name, permissions FROM custom_roles WHERE key = \(key)")
        guard let row = rows.first else { return role(key, customName: nil, customPermissions: nil) }
        return role(key, customName: try row["display_name", as: String.self], customPermissions: try row["permissions", as: [String].self])
    }

    /// The role for `key`: a built-in one, else the custom role with that name and permissions, else (a custom role
    /// deleted under a member) one that grants nothing beyond seeing the dashboard.
    static func role(_ key: String, customName: String?, customPermissions: [String]?) -> Role {
        if let builtIn = BuiltInRole(rawValue: key) { return Role(builtIn) }
        guard let customName, let customPermissions else { return Role(key: key, displayName: key, permissions: [.tenantRead], isBuiltIn: false) }
        return Role(key: key, displayName: customName, permissions: Set(customPermissions.compactMap(Permission.init(rawValue:))), isBuiltIn: false)
    }

    /// Every role a member of the tenant can hold: built-in first, then custom ones by name.
    public func list(_ context: RequestContext) async throws -> [Role] {
        try context.require(.membersRead)
        let custom = try await environment.router.withTenantTransaction(context.tenantID) { connection in
            try await connection.query("SELECT key, display_name, permissions FROM custom_roles ORDER BY display_name").map { row in
                Role(
                    key: try row["key", as: String.self],
                    displayName: try row["display_name", as: String.self],
                    permissions: Set(try row["permissions", as: [String].self].compactMap(Permission.init(rawValue:))),
                    isBuiltIn: false
                )
            }
        }
        return BuiltInRole.allCases.map(Role.init) + custom
    }

    /// Defines a custom role. Enterprise plan only; its permissions must be a subset of the creator's own.
    public func create(_ context: RequestContext, name rawName: String, permissions names: [String]) async throws -> Role {
        try context.require(.rolesManage)
        guard context.tenant.plan == "enterprise" else {
            throw TenancyError.forbidden("Custom roles are part of the enterprise plan")
        }
        var errors: [String: String] = [:]
        var name = ""
        do { name = try DisplayName.validate(rawName, field: "name", maximum: 60) } catch { errors[error.field] = error.message }
        var permissions = Set<Permission>()
        do { permissions = try Permission.parse(names) } catch { errors["permissions"] = error.description }
        if errors.isEmpty && permissions.isEmpty { errors["permissions"] = "Choose at least one permission" }
        if errors.isEmpty && !permissions.isSubset(of: context.permissions) {
            errors["permissions"] = "A role cannot grant permissions you do not have"
        }
        guard errors.isEmpty else { throw TenancyError.invalidFields(errors) }
        let key = "custom-" + String(Slug.make(from: name).prefix(40))
        guard BuiltInRole(rawValue: name.lowercased()) == nil else { throw TenancyError.invalid(field: "name", "That name belongs to a built-in role") }
        let role = Role(key: key, displayName: name, permissions: permissions, isBuiltIn: false)
        do {
            try await environment.router.withTenantTransaction(context.tenantID) { connection in
                try await connection.execute(
                    """
                    INSERT INTO custom_roles (tenant_id, key, display_name, permissions)
                    VALUES (\(context.tenantID.rawValue), \(key), \(name), \(permissions.sorted().map(\.rawValue)))
                    """
                )
                try await context.audit(
                    "role.created", target: "role:\(key)", details: ["permissions": permissions.sorted().map(\.rawValue).joined(separator: " ")], on: connection
                )
            }
        } catch let error as PostgresError where error.isUniqueViolation {
            throw TenancyError.invalid(field: "name", "A role with this name already exists")
        }
        return role
    }

    /// Deletes a custom role that no member holds.
    public func delete(_ context: RequestContext, key: String) async throws {
        try context.require(.rolesManage)
        try await environment.router.withTenantTransaction(context.tenantID) { connection in
            guard try await !connection.query("SELECT 1 FROM custom_roles WHERE key = \(key)").isEmpty else {
                throw TenancyError.notFound("No custom role '\(key)'")
            }
            guard try await connection.query("SELECT 1 FROM memberships WHERE role = \(key) LIMIT 1").isEmpty else {
                throw TenancyError.conflict("Members still hold this role; give them another role first")
            }
            try await connection.execute("DELETE FROM custom_roles WHERE key = \(key)")
            try await context.audit("role.deleted", target: "role:\(key)", on: connection)
        }
    }
}
