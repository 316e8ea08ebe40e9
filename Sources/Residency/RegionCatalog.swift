public import PostgresClient

/// A region of the catalog: where a cell database and blob store live, and under which law.
public struct Region: Sendable, Equatable {
    /// The id, e.g. `me-central-1`.
    public var id: String
    /// A display name, e.g. `UAE (Dubai)`.
    public var displayName: String
    /// ISO 3166 country code of the data centre, e.g. `AE`.
    public var country: String
    /// The legal jurisdiction that governs data stored here, e.g. `AE` or `EU`.
    public var jurisdiction: String
    /// `planned`, `active` (accepts new tenants), `draining` (serves existing tenants only) or `retired`.
    public var status: String
    /// Where the region's blobs live, e.g. `file:/var/lib/falaj/blobs/me-central-1` or `s3://bucket`; informational.
    public var blobStore: String?

    /// Creates a region.
    /// - Parameters:
    ///   - status: defaults to `active`.
    ///   - blobStore: defaults to nil (not stated).
    public init(id: String, displayName: String, country: String, jurisdiction: String, status: String = "active", blobStore: String? = nil) {
        self.id = id
        self.displayName = displayName
        self.country = country
        self.jurisdiction = jurisdiction
        self.status = status
        self.blobStore = blobStore
    }

    /// Whether the region takes new work (`active`).
    public var isActive: Bool { status == "active" }
}

/// The region catalog in the directory database (table `regions`, migration `directory/0001`).
public struct RegionCatalog: Sendable {
    let directory: PostgresPool

    /// A catalog backed by the directory database's pool.
    public init(directory: PostgresPool) { self.directory = directory }

    /// Makes the catalog hold `regions` (inserting new ones, updating names, status and blob store of known ones).
    /// Regions missing from `regions` are left as they are: tenants may still live there.
    public func synchronize(_ regions: [Region]) async throws {
        try await directory.withTransaction { connection in
            for region in regions {
                try await connection.execute(
                    """
                    INSERT INTO regions (id, display_name, country, jurisdiction, status, blob_store)
                    VALUES (\(region.id), \(region.displayName), \(region.country), \(region.jurisdiction), \(region.status), \(region.blobStore))
                    ON CONFLICT (id) DO UPDATE SET display_name = EXCLUDED.display_name, country = EXCLUDED.country,
                        jurisdiction = EXCLUDED.jurisdiction, status = EXCLUDED.status, blob_store = EXCLUDED.blob_store
                    """
                )
            }
        }
    }

    /// Every region, ordered by id.
    public func all() async throws -> [Region] {
        try await directory.withConnection { connection in
            let rows = try await connection.query("SELECT id, display_name, country, jurisdiction, status, blob_store FROM regions ORDER BY id")
            return try rows.map { row in
                let (id, name, country, jurisdiction, status) = try row.decode(String.self, String.self, String.self, String.self, String.self)
                let blobStore = try row["blob_store", as: String?.self]
                return Region(id: id, displayName: name, country: country, jurisdiction: jurisdiction, status: status, blobStore: blobStore)
            }
        }
    }
}
