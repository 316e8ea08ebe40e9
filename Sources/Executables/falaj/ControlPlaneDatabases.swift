import BlockingPool
import Foundation
import Logging
import Portal
import PostgresClient
import Residency
import WebServer

/// The databases one control-plane process uses: the directory and a cell per region.
///
/// Opening it starts the embedded cluster when no URL is configured, applies migrations as the owner role,
/// syncs the region catalog, and leases application-role pools (no superuser, no BYPASSRLS) for serving.
final class ControlPlaneDatabases: Sendable {
    struct Cell: Sendable {
        let region: RegionDefinition
        let pool: PostgresPool
    }

    let directory: PostgresPool
    let cells: [Cell]
    let embedded: EmbeddedPostgres?
    /// One line per database saying what `migrate` did, for `falaj migrate`'s output.
    let migrationReport: [String]
    private let directoryMigrator: Migrator
    private let cellMigrator: Migrator

    private init(
        directory: PostgresPool,
        cells: [Cell],
        embedded: EmbeddedPostgres?,
        migrationReport: [String],
        directoryMigrator: Migrator,
        cellMigrator: Migrator
    ) {
        self.directory = directory
        self.cells = cells
        self.embedded = embedded
        self.migrationReport = migrationReport
        self.directoryMigrator = directoryMigrator
        self.cellMigrator = cellMigrator
    }

    /// Starts or connects, migrates, and opens the serving pools. On failure everything opened so far is closed.
    /// - Parameter attachToRunningServer: for `falaj admin …`: use the embedded cluster a running `falaj serve` started
    ///   on the same data directory instead of starting (and so stopping) it.
    static func open(
        options: DatabaseOptions,
        regions: [RegionDefinition] = RegionDefinition.defaults,
        attachToRunningServer: Bool = false,
        logger: Logger
    ) async throws
        -> ControlPlaneDatabases
    {
        // File reads run on a blocking thread, never on the cooperative pool.
        let (directorySet, cellSet) = try await BlockingPool.shared.run {
            let migrations = URL(fileURLWithPath: try Bootstrap.locate("Migrations", option: ProcessInfo.processInfo.environment["FALAJ_MIGRATIONS_DIR"]))
            return (
                try MigrationSet.load(directory: migrations.appendingPathComponent("directory")),
                try MigrationSet.load(directory: migrations.appendingPathComponent("cell"))
            )
        }
        let directoryMigrator = Migrator(migrations: directorySet, logger: logger)
        let cellMigrator = Migrator(migrations: cellSet, logger: logger)
        let roles = DatabaseRoles(app: options.appRole)

        var embedded: EmbeddedPostgres?
        let access: [(name: String, owner: PostgresConfiguration, app: PostgresConfiguration)]
        let names = ["falaj_directory"] + regions.map(\.cellDatabaseName)
        if let url = options.databaseURL {
            let owner = try PostgresConfiguration(url)
            let cellURLs = try options.cellDatabaseURLs()
            var list = [(name: "falaj_directory", owner: owner, app: appAccess(owner, role: roles.app))]
            for region in regions {
                let cellOwner = try cellURLs[region.id].map { try PostgresConfiguration($0) } ?? owner.withDatabase(region.cellDatabaseName)
                list.append((region.cellDatabaseName, cellOwner, appAccess(cellOwner, role: roles.app)))
            }
            access = list
        } else {
            var configuration = EmbeddedPostgres.Configuration(dataDirectory: URL(fileURLWithPath: options.dataDirectory))
            configuration.databases = names
            configuration.roles = roles
            let cluster = EmbeddedPostgres(configuration: configuration, logger: logger)
            let started: EmbeddedPostgres.Cluster
            if attachToRunningServer, let running = await cluster.attachToRunningServer() {
                started = running  // `falaj serve` owns it; close() leaves it running
            } else {
                started = try await cluster.start()
                embedded = cluster
            }
            access = try names.map { name in
                guard let database = started[name] else { throw BootstrapError(message: "embedded cluster has no database \(name)") }
                return (name, database.owner, database.app)
            }
        }

        var report: [String] = []
        var pools: [PostgresPool] = []
        do {
            for (index, database) in access.enumerated() {
                let migrator = index == 0 ? directoryMigrator : cellMigrator
                let ownerPool = PostgresPool(configuration: database.owner, maxConnections: 1, logger: logger)
                let applied: [Migration]
                do {
                    applied = try await migrator.migrate(ownerPool)
                    if index > 0 {
                        let region = regions[index - 1].id
                        try await ownerPool.withConnection { try await CellIdentity.claim(region: region, on: $0) }
                    }
                    await ownerPool.close()
                } catch {
                    await ownerPool.close()
                    throw error
                }
                report.append("\(database.name): " + (applied.isEmpty ? "up to date" : "applied " + applied.map(\.fileName).joined(separator: ", ")))
                pools.append(PostgresPool(configuration: database.app, maxConnections: 10, logger: logger))
            }
            let cells = zip(regions, pools.dropFirst()).map { Cell(region: $0, pool: $1) }
            let databases = ControlPlaneDatabases(
                directory: pools[0],
                cells: cells,
                embedded: embedded,
                migrationReport: report,
                directoryMigrator: directoryMigrator,
                cellMigrator: cellMigrator
            )
            try await RegionCatalog(directory: databases.directory).synchronize(
                regions.map { Region(id: $0.id, displayName: $0.displayName, country: $0.country, jurisdiction: $0.jurisdiction) }
            )
            return databases
        } catch {
            for pool in pools { await pool.close() }
            try? await embedded?.stop()
            throw error
        }
    }

    /// The application-role twin of an owner configuration; its password comes from `FALAJ_APP_PASSWORD` when set.
    private static func appAccess(_ owner: PostgresConfiguration, role: String) -> PostgresConfiguration {
        owner.withUser(role).withParameter("password", ProcessInfo.processInfo.environment["FALAJ_APP_PASSWORD"])
    }

    /// Every database reachable, and its migrations current.
    func readiness() async -> [ReadinessCheck] {
        var checks: [ReadinessCheck] = []
        let all = [("directory", directory, directoryMigrator)] + cells.map { ($0.region.id, $0.pool, cellMigrator) }
        for (name, pool, migrator) in all {
            let isReachable = await pool.ping()
            checks.append(ReadinessCheck(name: "database:\(name)", isReady: isReachable, detail: isReachable ? nil : "not reachable"))
            guard isReachable else { continue }
            do {
                let pending = try await migrator.pending(pool)
                checks.append(
                    ReadinessCheck(name: "migrations:\(name)", isReady: pending.isEmpty, detail: pending.isEmpty ? nil : "\(pending.count) pending")
                )
            } catch {
                checks.append(ReadinessCheck(name: "migrations:\(name)", isReady: false, detail: "cannot read migration state"))
            }
        }
        return checks
    }

    /// Pool usage per database, for `/metrics`.
    func collectMetrics(into text: inout PrometheusText) {
        let all = [("directory", directory)] + cells.map { ($0.region.id, $0.pool) }
        text.header("falaj_db_pool_connections", type: "gauge", help: "Database pool connections by database and state.")
        for (name, pool) in all {
            let stats = pool.statistics
            text.sample("falaj_db_pool_connections", labels: ["database": name, "state": "idle"], value: Double(stats.idle))
            text.sample("falaj_db_pool_connections", labels: ["database": name, "state": "in_use"], value: Double(stats.inUse))
        }
        text.header("falaj_db_pool_waiting", type: "gauge", help: "Callers waiting for a database connection.")
        for (name, pool) in all {
            text.sample("falaj_db_pool_waiting", labels: ["database": name], value: Double(pool.statistics.waiting))
        }
    }

    /// Closes the pools, then stops the embedded cluster if this process started it.
    func close() async {
        await directory.close()
        for cell in cells { await cell.pool.close() }
        do {
            try await embedded?.stop()
        } catch {
            Logger(label: "falaj").error("embedded Postgres did not stop cleanly: \(error)")
        }
    }
}
