import PostgresClient
import TestSupport
import Testing

@Suite struct TransactionTests {
    struct Boom: Error {}

    @Test func commitsOnSuccessAndRollsBackOnThrow() async throws {
        try await TestDatabase.withTemporary { database in
            try await withPool(database.configuration, maxConnections: 1) { pool in
                try await pool.withConnection { try await $0.execute("CREATE TABLE notes (body text NOT NULL)") }
                try await pool.withTransaction { try await $0.execute("INSERT INTO notes VALUES (\("kept"))") }
                await #expect(throws: Boom.self) {
                    try await pool.withTransaction { connection in
                        try await connection.execute("INSERT INTO notes VALUES (\("discarded"))")
                        throw Boom()
                    }
                }
                let bodies = try await pool.withConnection { connection in
                    try await connection.query("SELECT body FROM notes ORDER BY body").map { try $0["body", as: String.self] }
                }
                #expect(bodies == ["kept"])
                #expect(pool.statistics.open == 1)  // the rolled-back connection was reused, not discarded
            }
        }
    }

    @Test func settingsAreVisibleOnlyInsideTheirTransaction() async throws {
        try await withPool(try TestDatabase.serverConfiguration(), maxConnections: 1) { pool in
            let inside = try await pool.withTransaction(settings: [("app.tenant_id", "tenant-42"), ("app.actor", "o'brien")]) { connection in
                let row = try await connection.query(
                    "SELECT current_setting('app.tenant_id') AS tenant, current_setting('app.actor') AS actor"
                )[0]
                return try row.decode(String.self, String.self)
            }
            #expect(inside == ("tenant-42", "o'brien"))
            let after = try await pool.withConnection { connection in
                try await connection.query("SELECT current_setting('app.tenant_id', true) AS tenant")[0]["tenant", as: String?.self]
            }
            #expect(after == nil || after == "")
        }
    }

    @Test func caughtStatementErrorMakesCommitFail() async throws {
        try await withPool(try TestDatabase.serverConfiguration(), maxConnections: 1) { pool in
            let error = try await #require(throws: PostgresError.self) {
                try await pool.withTransaction { connection in
                    _ = try? await connection.query("SELECT 1 / 0")
                }
            }
            #expect(error.code == .transactionRolledBack)
            #expect(await pool.ping())
        }
    }
}
