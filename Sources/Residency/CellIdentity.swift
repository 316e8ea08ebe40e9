public import PostgresClient

/// The region a cell database belongs to (table `cell_identity`, one row).
///
/// Claimed once when the cell is first migrated; every later start checks it, so a connection string pointing a
/// region at another region's database is refused instead of mixing tenants' data across borders. Audit rows take
/// their `region` from it.
public enum CellIdentity {
    /// Records `region` as this cell's region when none is recorded, then checks that it matches.
    /// - Throws: ``CellIdentityError`` when the database already belongs to another region.
    public nonisolated(nonsending) static func claim(region: String, on connection: PostgresConnection) async throws {
        try await connection.execute("INSERT INTO cell_identity (region_id) VALUES (\(region)) ON CONFLICT (singleton) DO NOTHING")
        let recorded = try await connection.query("SELECT region_id FROM cell_identity")[0]["region_id", as: String.self]
        guard recorded == region else { throw CellIdentityError(configured: region, recorded: recorded) }
    }
}

/// A cell database configured for one region already belongs to another.
public struct CellIdentityError: Error, Sendable, CustomStringConvertible {
    /// The region the configuration says.
    public var configured: String
    /// The region the database says.
    public var recorded: String

    /// What to fix.
    public var description: String {
        "the cell database configured for region \(configured) belongs to region \(recorded); check the cell database URLs"
    }
}
