public import Residency

/// A tenant's retention policies: how long each category of data is kept before the retention service deletes it.
public struct RetentionSettings: Sendable {
    let environment: TenancyEnvironment

    /// Every category's effective policy (the tenant's choice or the default).
    public func policies(_ context: RequestContext) async throws -> [RetentionPolicy] {
        try context.require(.tenantRead)
        return try await environment.router.withTenantTransaction(context.tenantID) { try await RetentionPolicies.effective(on: $0) }
    }

    /// Sets the days for the given categories (others unchanged); audited `privacy.retention_changed`.
    /// - Throws: field errors naming unknown categories or days outside 1…3650.
    public func update(_ context: RequestContext, days: [String: Int]) async throws -> [RetentionPolicy] {
        try context.require(.securityManage)
        var errors: [String: String] = [:]
        var changes: [(RetentionCategory, Int)] = []
        for (id, value) in days.sorted(by: { $0.key < $1.key }) {
            guard let category = RetentionCategory.all.first(where: { $0.id == id }) else {
                errors[String(id.prefix(60))] = "Unknown category; use one of \(RetentionCategory.all.map(\.id).joined(separator: ", "))"
                continue
            }
            guard RetentionPolicies.dayRange.contains(value) else {
                errors[id] = "Keep \(category.summary.lowercased()) between 1 and 3650 days"
                continue
            }
            changes.append((category, value))
        }
        guard errors.isEmpty else { throw TenancyError.invalidFields(errors) }
        return try await environment.router.withTenantTransaction(context.tenantID) { connection in
            for (category, value) in changes {
                try await RetentionPolicies.set(category, days: value, tenant: context.tenantID, on: connection)
            }
            try await context.audit(
                "privacy.retention_changed", target: "tenant:\(context.tenantID)",
                details: Dictionary(uniqueKeysWithValues: changes.map { ($0.0.id, String($0.1)) }), on: connection
            )
            return try await RetentionPolicies.effective(on: connection)
        }
    }
}
