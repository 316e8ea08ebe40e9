public import Logging

/// The two roles Falaj uses in every database, and the privileges that tie them together.
///
/// * ``owner`` (`falaj_owner`) owns the databases, the `public` schema and every table; migrations run as it.
/// * ``app`` (`falaj_app`) is what the running service connects as: `LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB
///   NOCREATEROLE NOREPLICATION`, not a table owner, so row-level security with `FORCE` always applies to it. It gets
///   `USAGE` on the schema and, through `ALTER DEFAULT PRIVILEGES FOR ROLE owner`, `SELECT, INSERT, UPDATE, DELETE` on
///   every table and `USAGE, SELECT` on every sequence the owner creates later. A migration can narrow that for one
///   table (`REVOKE UPDATE, DELETE ON audit_events FROM falaj_app`); re-running ``ensure(admin:roles:databases:logger:)``
///   never re-grants it.
///
/// Roles get no password here: the embedded cluster authenticates local-socket connections by `trust`. For an external
/// server, set passwords (or certificates) out of band.
public struct DatabaseRoles: Sendable, Hashable {
    /// The role that owns schema objects and runs migrations; default `falaj_owner`.
    public var owner: String
    /// The role the service connects as; default `falaj_app`.
    public var app: String

    /// Names the two roles.
    /// - Parameters:
    ///   - owner: default `falaj_owner`.
    ///   - app: default `falaj_app`.
    public init(owner: String = "falaj_owner", app: String = "falaj_app") {
        self.owner = owner
        self.app = app
    }

    /// Creates the roles and databases that are missing and sets their privileges; idempotent, safe to run at every start.
    /// - Parameters:
    ///   - admin: a superuser configuration for the server (any database; each database is reached through ``PostgresConfiguration/withDatabase(_:)``).
    ///   - roles: the role names; default `falaj_owner` and `falaj_app`.
    ///   - databases: the databases to create (owned by `roles.owner`) and prepare.
    ///   - logger: where created objects are logged; default label `falaj.postgres.roles`.
    public static func ensure(
        admin: PostgresConfiguration,
        roles: DatabaseRoles = DatabaseRoles(),
        databases: [String],
        logger: Logger = Logger(label: "falaj.postgres.roles")
    ) async throws {
        let connection = try await PostgresConnection.connect(configuration: admin, logger: logger)
        defer { connection.close() }
        try await roles.ensureRoles(admin: connection, logger: logger)
        for database in databases {
            try await roles.ensureDatabase(database, admin: connection, logger: logger)
            let inDatabase = try await PostgresConnection.connect(configuration: admin.withDatabase(database), logger: logger)
            defer { inDatabase.close() }
            try await roles.grantPrivileges(admin: inDatabase)
        }
    }

    /// Creates ``owner`` and ``app`` when missing and (re)asserts their attributes: `LOGIN NOSUPERUSER NOBYPASSRLS
    /// NOCREATEDB NOCREATEROLE NOREPLICATION`. Needs a superuser connection. Roles are server-wide.
    public nonisolated(nonsending) func ensureRoles(admin: PostgresConnection, logger: Logger = Logger(label: "falaj.postgres.roles")) async throws {
        for role in [owner, app] {
            let exists = try await admin.query("SELECT 1 FROM pg_roles WHERE rolname = \(role)")
            if exists.isEmpty {
                do {
                    try await admin.execute("CREATE ROLE \(identifier: role)")
                    logger.info("created database role", metadata: ["role": "\(role)"])
                } catch let error as PostgresError where error.sqlState == "42710" || error.isUniqueViolation {
                    // Another process created it first.
                }
            }
            try await admin.execute("ALTER ROLE \(identifier: role) LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION")
        }
    }

    /// Creates `name` owned by ``owner`` when missing (else makes ``owner`` its owner), lets only ``owner`` and ``app``
    /// connect, and lets ``app`` create temporary tables. Needs a superuser connection to another database.
    public nonisolated(nonsending) func ensureDatabase(
        _ name: String,
        admin: PostgresConnection,
        logger: Logger = Logger(label: "falaj.postgres.roles")
    ) async throws {
        let exists = try await admin.query("SELECT 1 FROM pg_database WHERE datname = \(name)")
        if exists.isEmpty {
            do {
                try await admin.execute("CREATE DATABASE \(identifier: name) OWNER \(identifier: owner) ENCODING 'UTF8'")
                logger.info("created database", metadata: ["database": "\(name)"])
            } catch let error as PostgresError where error.sqlState == "42P04" || error.isUniqueViolation {
                // Another process created it first.
            }
        }
        try await admin.execute("ALTER DATABASE \(identifier: name) OWNER TO \(identifier: owner)")
        try await admin.execute("REVOKE ALL ON DATABASE \(identifier: name) FROM PUBLIC")
        try await admin.execute("GRANT CONNECT, TEMPORARY ON DATABASE \(identifier: name) TO \(identifier: app)")
    }

    /// Inside one database: gives the `public` schema to ``owner``, takes it from `PUBLIC`, and grants ``app`` the schema
    /// and default table/sequence privileges for everything ``owner`` creates from now on. Needs a superuser connection
    /// *to that database*. Does not touch privileges of existing tables.
    public nonisolated(nonsending) func grantPrivileges(admin: PostgresConnection) async throws {
        try await admin.execute("ALTER SCHEMA public OWNER TO \(identifier: owner)")
        try await admin.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
        try await admin.execute("GRANT USAGE ON SCHEMA public TO \(identifier: app)")
        try await admin.execute(
            "ALTER DEFAULT PRIVILEGES FOR ROLE \(identifier: owner) IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO \(identifier: app)"
        )
        try await admin.execute(
            "ALTER DEFAULT PRIVILEGES FOR ROLE \(identifier: owner) IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO \(identifier: app)"
        )
    }
}
