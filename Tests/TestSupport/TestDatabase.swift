import Foundation
public import PostgresClient

/// A uniquely named, empty database on the test server, for one test to build its own data in.
///
/// The server comes from `FALAJ_TEST_ADMIN_URL` (a superuser URL), which `make test` sets by running
/// `scripts/test-postgres.sh start DIR`. Prefer ``withTemporary(prefix:_:)``, which drops the database afterwards
/// even when the test throws.
public struct TestDatabase: Sendable {
    /// The environment variable holding the superuser URL of the test server.
    public static let environmentVariable = "FALAJ_TEST_ADMIN_URL"

    /// The database's name (`falaj_test_<random>` by default).
    public let name: String
    /// Superuser access to this database.
    public let configuration: PostgresConfiguration
    /// Superuser access to the server's `postgres` database (for roles, other databases, `pg_terminate_backend`).
    public let serverConfiguration: PostgresConfiguration

    /// The superuser configuration from `FALAJ_TEST_ADMIN_URL`.
    /// - Throws: ``TestDatabaseError`` when the variable is unset or invalid.
    public static func serverConfiguration() throws -> PostgresConfiguration {
        guard let url = ProcessInfo.processInfo.environment[environmentVariable], !url.isEmpty else {
            throw TestDatabaseError(
                "\(environmentVariable) is not set: run tests through `make test` "
                    + "(or `eval \"$(scripts/test-postgres.sh start /tmp/falaj-pg)\"` first)"
            )
        }
        do {
            return try PostgresConfiguration(url)
        } catch {
            throw TestDatabaseError("\(environmentVariable) is not a valid Postgres URL: \(error)")
        }
    }

    /// Creates a new, empty database with a unique name. Call ``drop()`` when done.
    /// - Parameter prefix: the start of the database name; default `falaj_test`.
    public static func make(prefix: String = "falaj_test") async throws -> TestDatabase {
        let server = try serverConfiguration()
        let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let name = "\(prefix)_\(suffix)"
        let admin = try await PostgresConnection.connect(configuration: server)
        defer { admin.close() }
        try await admin.execute("CREATE DATABASE \(identifier: name)")
        return TestDatabase(name: name, configuration: server.withDatabase(name), serverConfiguration: server)
    }

    /// Runs `body` with a new database and drops it afterwards, also when `body` throws.
    /// - Parameters:
    ///   - prefix: the start of the database name; default `falaj_test`.
    ///   - body: the test.
    public static func withTemporary<Result>(
        prefix: String = "falaj_test",
        _ body: (TestDatabase) async throws -> Result
    ) async throws -> Result {
        let database = try await make(prefix: prefix)
        do {
            let result = try await body(database)
            try await database.drop()
            return result
        } catch {
            try? await database.drop()
            throw error
        }
    }

    /// Drops the database, disconnecting anyone still connected (`DROP DATABASE … WITH (FORCE)`).
    public func drop() async throws {
        let admin = try await PostgresConnection.connect(configuration: serverConfiguration)
        defer { admin.close() }
        try await admin.execute("DROP DATABASE IF EXISTS \(identifier: name) WITH (FORCE)")
    }
}

/// The test database could not be set up; the message says what to do.
public struct TestDatabaseError: Error, CustomStringConvertible {
    /// What went wrong and how to fix it.
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
