import Foundation
public import Logging

/// Applies a ``MigrationSet`` to one database and tells whether it is current.
///
/// * Each pending migration runs in its own transaction together with its row in
///   `falaj_schema_migrations (version, name, checksum, applied_at)`: it applies whole or not at all.
/// * A session-level advisory lock (per database) serialises concurrent migrators, so two processes starting at once
///   apply each migration exactly once; the second waits, then finds nothing to do.
/// * Before applying anything, every recorded migration is checked against its file: a changed file or a missing
///   file is an error naming the file, and nothing is applied.
/// * Run it as the role that should own the schema (``DatabaseRoles/owner``), never as the application role.
public struct Migrator: Sendable {
    /// The migrations this migrator applies.
    public let migrations: MigrationSet
    /// How long to wait for another process's migration lock.
    public let lockTimeout: Duration
    /// Where applied migrations are logged.
    public let logger: Logger

    /// The advisory lock key: the ASCII bytes of `falaj`.
    static let lockKey: Int = 0x66_61_6c_61_6a

    /// Creates a migrator.
    /// - Parameters:
    ///   - migrations: the set to apply.
    ///   - lockTimeout: how long to wait for a concurrent migrator to finish; default 60 s.
    ///   - logger: where applied migrations are logged; default label `falaj.migrations`.
    public init(migrations: MigrationSet, lockTimeout: Duration = .seconds(60), logger: Logger = Logger(label: "falaj.migrations")) {
        self.migrations = migrations
        self.lockTimeout = lockTimeout
        self.logger = logger
    }

    /// Applies every pending migration, in version order, on a connection leased from `pool`.
    /// - Returns: the migrations applied now (empty when the database was current).
    /// - Throws: ``PostgresError`` with ``PostgresError/Code/migrationChanged``, ``PostgresError/Code/migrationMissing``,
    ///   ``PostgresError/Code/migrationFailed`` or ``PostgresError/Code/migrationLockTimeout``.
    @discardableResult
    public func migrate(_ pool: PostgresPool) async throws -> [Migration] {
        try await pool.withConnection { try await migrate(on: $0) }
    }

    /// The migrations not yet applied, checked against the recorded checksums (for `/readyz`). Takes no lock, changes nothing.
    public func pending(_ pool: PostgresPool) async throws -> [Migration] {
        try await pool.withConnection { try await pending(on: $0) }
    }

    /// Applies every pending migration on `connection`; see ``migrate(_:)``.
    @discardableResult
    public nonisolated(nonsending) func migrate(on connection: PostgresConnection) async throws -> [Migration] {
        try await lock(connection)
        do {
            try await connection.execute(
                """
                CREATE TABLE IF NOT EXISTS falaj_schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """
            )
            let pending = try verify(try await applied(on: connection))
            for migration in pending {
                try await apply(migration, on: connection)
            }
            await unlock(connection)
            return pending
        } catch {
            await unlock(connection)
            throw error
        }
    }

    /// The migrations not yet applied on `connection`; see ``pending(_:)``.
    public nonisolated(nonsending) func pending(on connection: PostgresConnection) async throws -> [Migration] {
        let exists = try await connection.query("SELECT to_regclass('falaj_schema_migrations') IS NOT NULL AS present")
        guard try exists.first?["present", as: Bool.self] == true else { return migrations.migrations }
        return try verify(try await applied(on: connection))
    }

    /// The rows of `falaj_schema_migrations`, by version.
    public nonisolated(nonsending) func applied(on connection: PostgresConnection) async throws -> [AppliedMigration] {
        try await connection.query("SELECT version, name, checksum, applied_at FROM falaj_schema_migrations ORDER BY version").map { row in
            AppliedMigration(
                version: try row["version", as: Int.self],
                fileName: try row["name", as: String.self],
                checksum: try row["checksum", as: String.self],
                appliedAt: try row["applied_at", as: Date.self]
            )
        }
    }

    /// Checks recorded migrations against the files; returns the files not yet applied.
    func verify(_ applied: [AppliedMigration]) throws -> [Migration] {
        let files = Dictionary(uniqueKeysWithValues: migrations.migrations.map { ($0.version, $0) })
        for record in applied {
            guard let file = files[record.version] else {
                throw PostgresError(
                    .migrationMissing,
                    "migration \(record.fileName) was applied to this database but is missing from the \(migrations.name) migrations"
                )
            }
            guard file.checksum == record.checksum else {
                throw PostgresError(
                    .migrationChanged,
                    "migration \(file.fileName) was changed after it was applied (checksum \(record.checksum.prefix(12))… recorded, "
                        + "\(file.checksum.prefix(12))… now); add a new migration instead of editing an applied one"
                )
            }
        }
        let appliedVersions = Set(applied.map(\.version))
        return migrations.migrations.filter { !appliedVersions.contains($0.version) }
    }

    private nonisolated(nonsending) func apply(_ migration: Migration, on connection: PostgresConnection) async throws {
        let started = ContinuousClock.now
        do {
            try await connection.withTransaction { connection in
                try await connection.simpleExecute(unsafeSQL: migration.sql)
                try await connection.execute(
                    """
                    INSERT INTO falaj_schema_migrations (version, name, checksum)
                    VALUES (\(migration.version), \(migration.fileName), \(migration.checksum))
                    """
                )
            }
        } catch let error as PostgresError {
            throw PostgresError(
                .migrationFailed,
                "migration \(migration.fileName) failed (SQLSTATE \(error.sqlState ?? "none")); nothing of it was applied",
                detail: String(reflecting: error),
                sqlState: error.sqlState
            )
        }
        logger.info(
            "applied migration",
            metadata: ["migration": "\(migration.fileName)", "set": "\(migrations.name)", "duration": "\(ContinuousClock.now - started)"]
        )
    }

    private nonisolated(nonsending) func lock(_ connection: PostgresConnection) async throws {
        let deadline = ContinuousClock.now + lockTimeout
        var isLogged = false
        while true {
            let rows = try await connection.query("SELECT pg_try_advisory_lock(\(Self.lockKey)) AS locked")
            if try rows.first?["locked", as: Bool.self] == true { return }
            guard ContinuousClock.now < deadline else {
                throw PostgresError(
                    .migrationLockTimeout,
                    "another process has been migrating this database for over \(lockTimeout); try again when it has finished"
                )
            }
            if !isLogged {
                logger.info("waiting for another process to finish migrating", metadata: ["set": "\(migrations.name)"])
                isLogged = true
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Releases the advisory lock; when that fails, closes the connection, which ends the session and so the lock
    /// (a pooled connection must never go back to the pool still holding it).
    private nonisolated(nonsending) func unlock(_ connection: PostgresConnection) async {
        guard connection.isOpen else { return }
        do {
            _ = try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))")
        } catch {
            logger.warning("could not release the migration lock; closing the connection", metadata: ["error": "\(String(reflecting: error))"])
            connection.close()
        }
    }
}
