public import PostgresClient
import Synchronization

/// Maps a tenant to the pool of its home cell and runs tenant-scoped transactions there.
///
/// This is the only place that chooses a database for tenant data: every module asks it, never a pool directly.
/// A tenant's home region never changes after creation (an operator migration would restart the control plane), so
/// the router remembers each lookup for the life of the process.
public final class CellRouter: Sendable {
    /// The global directory database (tenants, login routing, regions, operators).
    public let directory: PostgresPool
    private let cells: [String: PostgresPool]
    private let homeRegions = Mutex<[TenantID: String]>([:])

    /// A router over the directory and one application-role pool per region id.
    public init(directory: PostgresPool, cells: [String: PostgresPool]) {
        self.directory = directory
        self.cells = cells
    }

    /// The region ids that have a cell in this process, sorted.
    public var regionIDs: [String] { cells.keys.sorted() }

    /// The pool of `region`'s cell.
    /// - Throws: ``ResidencyError`` when this process has no cell for the region.
    public func cell(for region: String) throws(ResidencyError) -> PostgresPool {
        guard let pool = cells[region] else { throw ResidencyError.unknownRegion(region) }
        return pool
    }

    /// The home region of `tenant`, from the directory (remembered after the first lookup).
    /// - Throws: ``ResidencyError/unknownTenant(_:)`` when the directory has no such tenant.
    public func homeRegion(of tenant: TenantID) async throws -> String {
        if let known = homeRegions.withLock({ $0[tenant] }) { return known }
        let rows = try await directory.withConnection { connection in
            try await connection.query("SELECT home_region FROM tenants WHERE id = \(tenant.rawValue)")
        }
        guard let row = rows.first else { throw ResidencyError.unknownTenant(tenant) }
        let region = try row["home_region", as: String.self]
        homeRegions.withLock { $0[tenant] = region }
        return region
    }

    /// Tells the router a tenant's home region (at sign-up, before the directory row is visible to other lookups).
    public func remember(_ tenant: TenantID, homeRegion region: String) {
        homeRegions.withLock { $0[tenant] = region }
    }

    /// Forgets a tenant (after its sign-up was rolled back or it was deleted).
    public func forget(_ tenant: TenantID) {
        _ = homeRegions.withLock { $0.removeValue(forKey: tenant) }
    }

    /// Runs `body` in a transaction on `tenant`'s home cell with `app.tenant_id` set for row-level security.
    /// Commits when `body` returns, rolls back when it throws.
    @discardableResult
    public nonisolated(nonsending) func withTenantTransaction<Result>(
        _ tenant: TenantID,
        file: String = #fileID,
        line: Int = #line,
        _ body: nonisolated(nonsending) (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let pool = try cell(for: try await homeRegion(of: tenant))
        return try await pool.withTransaction(settings: [("app.tenant_id", tenant.description)], file: file, line: line, body)
    }
}

/// A placement or routing question the residency layer refused to answer.
public enum ResidencyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No cell for this region is configured in this process.
    case unknownRegion(String)
    /// The directory has no such tenant.
    case unknownTenant(TenantID)

    /// A sentence for logs and error pages.
    public var description: String {
        switch self {
        case .unknownRegion(let region): "Region '\(region)' has no cell configured in this control plane"
        case .unknownTenant(let tenant): "No tenant \(tenant)"
        }
    }
}
