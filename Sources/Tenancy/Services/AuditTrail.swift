import Foundation
public import Residency

/// Reading the tenant's audit trail (owners, admins and auditors: `audit.read`).
public struct AuditTrail: Sendable {
    let environment: TenancyEnvironment

    /// Events matching `filter`, newest first.
    public func events(_ context: RequestContext, _ filter: AuditFilter) async throws -> [AuditRecord] {
        try context.require(.auditRead)
        return try await environment.router.withTenantTransaction(context.tenantID) { connection in
            try await AuditLog.events(filter, on: connection)
        }
    }

    /// Every event matching `filter` (its limit is the page size), newest first, handed to `deliver` page by page so
    /// an export never holds the whole trail in memory. The export itself is audited.
    public func export(_ context: RequestContext, _ filter: AuditFilter, format: String, deliver: @Sendable ([AuditRecord]) async throws -> Void) async throws {
        try context.require(.auditRead)
        try await environment.router.withTenantTransaction(context.tenantID) { connection in
            try await context.audit("audit.exported", details: ["format": format], on: connection)
        }
        var page = filter
        page.limit = 1_000
        while true {
            let events = try await self.events(context, page)
            if events.isEmpty { return }
            try await deliver(events)
            guard events.count == page.limit, let last = events.last else { return }
            page.beforeSequence = last.sequence
        }
    }
}
