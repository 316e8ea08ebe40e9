public import Foundation
import Logging
import ServiceLifecycle
public import PostgresClient
public import Residency
public import Tenancy

/// A complete tenancy stack on the test server: a directory database and two cell databases (`me-central-1`,
/// `eu-west-1`), migrated by the owner role, served through application-role pools (no BYPASSRLS), with random
/// secrets. Each instance has its own databases; ``close()`` drops them.
public final class TenancyTestEnvironment: Sendable {
    /// The regions every test environment has.
    public static let regions = [
        Region(id: "eu-west-1", displayName: "EU (Ireland)", country: "IE", jurisdiction: "EU"),
        Region(id: "me-central-1", displayName: "UAE (Dubai)", country: "AE", jurisdiction: "AE"),
    ]

    /// The services under test.
    public let services: TenancyServices
    /// Routes tenants to cells (application role).
    public let router: CellRouter
    /// Superuser access per database name, for assertions that must see past row-level security.
    public let adminConfigurations: [String: PostgresConfiguration]
    /// Application-role configuration per region id (plus `directory`).
    public let appConfigurations: [String: PostgresConfiguration]
    private let databases: [TestDatabase]
    private let pools: [PostgresPool]

    private init(services: TenancyServices, router: CellRouter, databases: [TestDatabase], pools: [PostgresPool], app: [String: PostgresConfiguration]) {
        self.services = services
        self.router = router
        self.databases = databases
        self.pools = pools
        self.adminConfigurations = Dictionary(uniqueKeysWithValues: databases.map { ($0.name, $0.configuration) })
        self.appConfigurations = app
    }

    /// The repository's `Migrations` folder.
    public static var migrationsDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Migrations")
    }

    /// Creates the databases, roles and pools, and syncs the region catalog.
    public static func make() async throws -> TenancyTestEnvironment {
        var logger = Logger(label: "falaj.test")
        logger.logLevel = .warning
        let directory = try await TestDatabase.make(prefix: "falaj_dir")
        var databases = [directory]
        do {
            for _ in regions { databases.append(try await TestDatabase.make(prefix: "falaj_cell")) }
            let roles = DatabaseRoles()
            try await RoleSetup.shared.ensure(admin: directory.serverConfiguration, roles: roles, databases: databases.map(\.name))
            let sets = (
                directory: try MigrationSet.load(directory: migrationsDirectory.appendingPathComponent("directory")),
                cell: try MigrationSet.load(directory: migrationsDirectory.appendingPathComponent("cell"))
            )
            var pools: [PostgresPool] = []
            var app: [String: PostgresConfiguration] = [:]
            for (index, database) in databases.enumerated() {
                let owner = PostgresPool(configuration: database.configuration.withUser(roles.owner), maxConnections: 1, logger: logger)
                _ = try await Migrator(migrations: index == 0 ? sets.directory : sets.cell, logger: logger).migrate(owner)
                if index > 0 {
                    let region = regions[index - 1].id
                    try await owner.withConnection { try await CellIdentity.claim(region: region, on: $0) }
                }
                await owner.close()
                let appConfiguration = database.configuration.withUser(roles.app)
                app[index == 0 ? "directory" : regions[index - 1].id] = appConfiguration
                pools.append(PostgresPool(configuration: appConfiguration, maxConnections: 4, logger: logger))
            }
            let router = CellRouter(
                directory: pools[0],
                cells: Dictionary(uniqueKeysWithValues: zip(regions.map(\.id), pools.dropFirst()))
            )
            try await RegionCatalog(directory: pools[0]).synchronize(regions)
            let environment = TenancyEnvironment(
                router: router,
                secrets: .random(),
                passwords: try await PasswordPolicy.load(),
                logger: logger
            )
            return TenancyTestEnvironment(services: TenancyServices(environment: environment), router: router, databases: databases, pools: pools, app: app)
        } catch {
            for database in databases { try? await database.drop() }
            throw error
        }
    }

    /// Runs `body` with a fresh environment and drops its databases afterwards, also when `body` throws.
    public static func with<Result>(_ body: (TenancyTestEnvironment) async throws -> Result) async throws -> Result {
        let environment = try await make()
        do {
            let result = try await body(environment)
            await environment.close()
            return result
        } catch {
            await environment.close()
            throw error
        }
    }

    /// The tenancy services of another control-plane process over the same databases: its own caches, the same pools.
    public func anotherProcess() -> TenancyServices {
        let mine = services.environment
        return TenancyServices(environment: TenancyEnvironment(router: router, secrets: mine.secrets, passwords: mine.passwords, logger: mine.logger))
    }

    /// Runs `body` while each of `processes` runs its background services (the API-key cache listeners), once every
    /// cache is trusted (all listeners connected); stops them afterwards, also when `body` throws.
    public func withListeners<Result>(_ processes: [TenancyServices], _ body: () async throws -> Result) async throws -> Result {
        let tasks = processes.flatMap { process in
            process.backgroundServices.map { service in Task { try await service.run() } }
        }
        defer { for task in tasks { task.cancel() } }
        let deadline = ContinuousClock.now + .seconds(20)
        while !processes.allSatisfy(\.environment.apiKeyCache.isTrusted) {
            guard ContinuousClock.now < deadline else { throw TestDatabaseError("the API-key cache listeners did not connect in 20 s") }
            try await Task.sleep(for: .milliseconds(20))
        }
        let result = try await body()
        for task in tasks { task.cancel() }
        for task in tasks { _ = await task.result }
        return result
    }

    /// Closes the pools and drops the databases.
    public func close() async {
        for pool in pools { await pool.close() }
        for database in databases { try? await database.drop() }
    }

    @discardableResult
    /// Runs `sql` as the superuser in the cell of `region` (to age rows, inspect raw data, simulate faults).
    public func asSuperuser<Result>(region: String, _ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        let name = databases[Self.regions.firstIndex { $0.id == region }! + 1].name
        let connection = try await PostgresConnection.connect(configuration: adminConfigurations[name]!)
        defer { connection.close() }
        return try await body(connection)
    }

    @discardableResult
    /// Runs `body` as the table owner (`falaj_owner`, the migrations role) in the cell of `region`.
    public func asOwner<Result>(region: String, _ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        let name = databases[Self.regions.firstIndex { $0.id == region }! + 1].name
        let connection = try await PostgresConnection.connect(configuration: adminConfigurations[name]!.withUser(DatabaseRoles().owner))
        defer { connection.close() }
        return try await body(connection)
    }

    @discardableResult
    /// Runs `body` as the superuser in the directory database.
    public func asSuperuserInDirectory<Result>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        let connection = try await PostgresConnection.connect(configuration: databases[0].configuration)
        defer { connection.close() }
        return try await body(connection)
    }
}

/// Serialises `DatabaseRoles.ensure` within the test process: concurrent `ALTER ROLE` on the same role fails with
/// "tuple concurrently updated", and Swift Testing runs suites in parallel.
/// Each call waits for the previous one to finish (an actor alone would interleave at every `await`).
actor RoleSetup {
    static let shared = RoleSetup()
    private var tail: Task<Void, Never>?

    func ensure(admin: PostgresConfiguration, roles: DatabaseRoles, databases: [String]) async throws {
        let previous = tail
        let current = Task<Result<Void, any Error>, Never> {
            await previous?.value
            do { return .success(try await DatabaseRoles.ensure(admin: admin, roles: roles, databases: databases)) } catch { return .failure(error) }
        }
        tail = Task { _ = await current.value }
        try await current.value.get()
    }
}
