import Logging
import PostgresClient
import Synchronization
import TestSupport

/// A standalone superuser connection to the test server's `postgres` database, closed after `body`.
@discardableResult
func withServerConnection<Result>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
    let connection = try await PostgresConnection.connect(configuration: try TestDatabase.serverConfiguration())
    defer { connection.close() }
    return try await body(connection)
}

/// A standalone connection to `configuration`, closed after `body`.
@discardableResult
func withConnection<Result>(_ configuration: PostgresConfiguration, _ body: (PostgresConnection) async throws -> Result) async throws -> Result {
    let connection = try await PostgresConnection.connect(configuration: configuration)
    defer { connection.close() }
    return try await body(connection)
}

/// A pool that is closed after `body`, also when it throws.
@discardableResult
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

/// A thread-safe list that concurrent tasks append to.
final class Recorder<Element: Sendable>: Sendable {
    private let storage = Mutex<[Element]>([])

    func append(_ element: Element) { storage.withLock { $0.append(element) } }

    var elements: [Element] { storage.withLock { $0 } }
}

/// The first `count` notifications from `listener`, or fewer when `timeout` passes first (which ends the listener).
func collect(_ count: Int, from listener: PostgresListener, timeout: Duration = .seconds(5)) async -> [PostgresNotification] {
    await withTaskGroup(of: [PostgresNotification]?.self) { group in
        group.addTask {
            var received: [PostgresNotification] = []
            for await notification in listener {
                received.append(notification)
                if received.count == count { break }
            }
            return received
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return nil
        }
        var result: [PostgresNotification] = []
        for await value in group {
            if let value {
                result = value
                group.cancelAll()
            } else {
                group.cancelAll()
            }
            break
        }
        return result
    }
}
