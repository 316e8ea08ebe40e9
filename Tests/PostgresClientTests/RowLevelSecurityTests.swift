import Foundation
import PostgresClient
import TestSupport
import Testing

@Suite struct RowLevelSecurityTests {
    @Test func appRoleSeesOnlyTheCurrentTenantsRows() async throws {
        try await withRoles { database, roles in
            let owner = database.configuration.withUser(roles.owner)
            let app = database.configuration.withUser(roles.app)
            try await withConnection(owner) { connection in
                try await connection.simpleExecute(
                    unsafeSQL: """
                        CREATE TABLE projects (
                            tenant_id text NOT NULL DEFAULT current_setting('app.tenant_id'),
                            name text NOT NULL
                        );
                        ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
                        ALTER TABLE projects FORCE ROW LEVEL SECURITY;
                        CREATE POLICY tenant_isolation ON projects
                            USING (tenant_id = current_setting('app.tenant_id', true))
                            WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
                        """
                )
            }
            try await withPool(app, maxConnections: 2) { pool in
                let attributes = try await pool.withConnection { connection in
                    try await connection.query("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")[0].decode(
                        Bool.self,
                        Bool.self
                    )
                }
                #expect(attributes == (false, false))

                try await pool.withTransaction(settings: [("app.tenant_id", "tenant-a")]) { connection in
                    try await connection.execute("INSERT INTO projects (name) VALUES ('a1'), ('a2')")
                }
                try await pool.withTransaction(settings: [("app.tenant_id", "tenant-b")]) { connection in
                    try await connection.execute("INSERT INTO projects (name) VALUES ('b1')")
                }
                let seenByA = try await pool.withTransaction(settings: [("app.tenant_id", "tenant-a")]) { connection in
                    try await connection.query("SELECT name FROM projects ORDER BY name").map { try $0["name", as: String.self] }
                }
                #expect(seenByA == ["a1", "a2"])
                let seenWithoutTenant = try await pool.withConnection { try await $0.query("SELECT name FROM projects") }
                #expect(seenWithoutTenant.isEmpty)

                let crossTenant = try await #require(throws: PostgresError.self) {
                    try await pool.withTransaction(settings: [("app.tenant_id", "tenant-a")]) { connection in
                        try await connection.execute("INSERT INTO projects (tenant_id, name) VALUES ('tenant-b', 'sneaky')")
                    }
                }
                #expect(crossTenant.sqlState == "42501")
                let disable = try await #require(throws: PostgresError.self) {
                    try await pool.withConnection { try await $0.execute("ALTER TABLE projects DISABLE ROW LEVEL SECURITY") }
                }
                #expect(disable.sqlState == "42501")
                let bypass = try await #require(throws: PostgresError.self) {
                    try await pool.withConnection { connection in
                        try await connection.execute("SET row_security = off")
                        return try await connection.query("SELECT name FROM projects")
                    }
                }
                #expect(bypass.sqlState == "42501")
            }
            let all = try await withConnection(database.configuration) {
                try await $0.query("SELECT count(*) AS n FROM projects")[0]["n", as: Int.self]
            }
            #expect(all == 3)
        }
    }

    @Test func ensureIsIdempotentAndStripsDangerousAttributes() async throws {
        try await withRoles { database, roles in
            try await withConnection(database.serverConfiguration) { admin in
                try await admin.execute("ALTER ROLE \(identifier: roles.app) SUPERUSER BYPASSRLS CREATEDB")
            }
            try await DatabaseRoles.ensure(admin: database.serverConfiguration, roles: roles, databases: [database.name])
            let attributes = try await withConnection(database.serverConfiguration) { admin in
                try await admin.query(
                    "SELECT rolsuper, rolbypassrls, rolcreatedb, rolcanlogin FROM pg_roles WHERE rolname = \(roles.app)"
                )[0].decode(Bool.self, Bool.self, Bool.self, Bool.self)
            }
            #expect(attributes == (false, false, false, true))
            let owner = try await withConnection(database.serverConfiguration) { admin in
                try await admin.query(
                    "SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = \(database.name)"
                )[0]["owner", as: String.self]
            }
            #expect(owner == roles.owner)
        }
    }
}

/// Runs `body` with a temporary database prepared by `DatabaseRoles.ensure` for uniquely named roles, then drops both.
func withRoles(_ body: (TestDatabase, DatabaseRoles) async throws -> Void) async throws {
    let suffix = UUID().uuidString.lowercased().prefix(8)
    let roles = DatabaseRoles(owner: "test_owner_\(suffix)", app: "test_app_\(suffix)")
    try await TestDatabase.withTemporary { database in
        do {
            try await DatabaseRoles.ensure(admin: database.serverConfiguration, roles: roles, databases: [database.name])
            try await body(database, roles)
        } catch {
            try? await database.drop()
            try? await dropRoles(roles, server: database.serverConfiguration)
            throw error
        }
        try await database.drop()
        try await dropRoles(roles, server: database.serverConfiguration)
    }
}

private func dropRoles(_ roles: DatabaseRoles, server: PostgresConfiguration) async throws {
    try await withConnection(server) { admin in
        try await admin.execute("DROP ROLE IF EXISTS \(identifier: roles.app)")
        try await admin.execute("DROP ROLE IF EXISTS \(identifier: roles.owner)")
    }
}
