import Logging
import PostgresClient
import TestSupport

/// A standalone superuser connection to the test server's `postgres` database, closed after `body`.
func withServerConnection<Result>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
    let connection = try await PostgresConnection.connect(configuration: try TestDatabase.serverConfiguration())
    defer { connection.close() }
    return try await body(connection)
}

/// A standalone connection to `configuration`, closed after `body`.
func withConnection<Result>(_ configuration: PostgresConfiguration, _ body: (PostgresConnection) async throws -> Result) async throws -> Result {
    let connection = try await PostgresConnection.connect(configuration: configuration)
    defer { connection.close() }
    return try await body(connection)
}

/// A pool that is closed after `body`, also when it throws.
func withPool<Result>(
    _ configuration: PostgresConfiguration,
    maxConnections: Int = 4,
    acquireTimeout: Duration = .seconds(5),
    _ body: (PostgresPool) async throws -> Result
) async throws -> Result {
    let pool = PostgresPool(configuration: configuration, maxConnections: maxConnections, acquireTimeout: acquireTimeout)
    do {
        let result = try await body(pool)
        await pool.close()
        return result
    } catch {
        await pool.close()
        throw error
    }
}
