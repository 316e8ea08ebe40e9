import Foundation
import PostgresClient
import TestSupport
import Testing

@Suite struct QueryTests {
    @Test func interpolatedValuesAreBoundNotSpliced() async throws {
        try await TestDatabase.withTemporary { database in
            try await withConnection(database.configuration) { connection in
                try await connection.execute("CREATE TABLE students (id serial PRIMARY KEY, name text NOT NULL)")
                let hostile = "Robert'); DROP TABLE students;-- \\ $1 \"quoted\""
                let inserted = try await connection.execute("INSERT INTO students (name) VALUES (\(hostile)), (\("plain"))")
                #expect(inserted == 2)
                let rows = try await connection.query("SELECT name FROM students WHERE name = \(hostile)")
                #expect(try rows.map { try $0["name", as: String.self] } == [hostile])
                let count = try await connection.query("SELECT count(*) AS n FROM students")
                #expect(try count[0]["n", as: Int.self] == 2)
            }
        }
    }

    @Test func serverErrorsCarrySQLStateButRedactTheMessage() async throws {
        try await TestDatabase.withTemporary { database in
            try await withConnection(database.configuration) { connection in
                try await connection.execute("CREATE TABLE accounts (email text PRIMARY KEY)")
                try await connection.execute("INSERT INTO accounts VALUES (\("a@example.com"))")
                let error = try await #require(throws: PostgresError.self) {
                    try await connection.execute("INSERT INTO accounts VALUES (\("a@example.com"))")
                }
                #expect(error.code == .server)
                #expect(error.isUniqueViolation)
                #expect(error.constraintName == "accounts_pkey")
                #expect(!error.description.contains("a@example.com"))
                #expect(String(reflecting: error).contains("duplicate key"))
                // The connection stays usable after a statement error.
                #expect(try await connection.query("SELECT 1 AS one")[0]["one", as: Int.self] == 1)
            }
        }
    }

    @Test func simpleExecuteRunsSeveralStatements() async throws {
        try await TestDatabase.withTemporary { database in
            try await withConnection(database.configuration) { connection in
                try await connection.simpleExecute(unsafeSQL: "CREATE TABLE a (x int); INSERT INTO a VALUES (1), (2); CREATE TABLE b (y int);")
                let rows = try await connection.query("SELECT sum(x)::int AS total FROM a")
                #expect(try rows[0]["total", as: Int32.self] == 3)
                #expect(try await connection.execute("UPDATE a SET x = x + 1") == 2)
                #expect(try await connection.execute("DELETE FROM a WHERE x > \(2)") == 1)
            }
        }
    }

    @Test func decodingErrorsNameTheColumn() async throws {
        try await withServerConnection { connection in
            let row = try #require(try await connection.query("SELECT 'abc'::text AS word, NULL::int AS nothing").first)
            #expect(try row.decode(String.self, Int?.self) == ("abc", nil))
            #expect(try row.isNull(column: "nothing"))
            #expect(throws: PostgresError.self) { try row["missing", as: String.self] }
            let notNumber = try #require(throws: PostgresError.self) { try row["word", as: Int.self] }
            #expect(notNumber.code == .decodingFailed)
            #expect(notNumber.description.contains("'word'"))
            let null = try #require(throws: PostgresError.self) { try row["nothing", as: Int.self] }
            #expect(null.code == .unexpectedNull)
        }
    }

    @Test func aClosedConnectionRefusesWork() async throws {
        let connection = try await PostgresConnection.connect(configuration: try TestDatabase.serverConfiguration())
        #expect(connection.isOpen)
        #expect(connection.backendPID > 0)
        connection.close()
        #expect(!connection.isOpen)
        let error = try await #require(throws: PostgresError.self) { try await connection.query("SELECT 1") }
        #expect(error.code == .connectionReleased)
    }

    @Test func connectFailureIsAClearError() async throws {
        let configuration = PostgresConfiguration.unixSocket(directory: "/nonexistent-falaj", user: "postgres", database: "postgres")
        let error = try await #require(throws: PostgresError.self) {
            try await PostgresConnection.connect(configuration: configuration)
        }
        #expect(error.code == .connectionFailed)
        #expect(error.description == "could not connect to the database")
        #expect(String(reflecting: error).contains("nonexistent-falaj"))
    }
}
