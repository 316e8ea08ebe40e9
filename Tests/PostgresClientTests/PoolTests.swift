import Foundation
import PostgresClient
import Synchronization
import TestSupport
import Testing

@Suite struct PoolTests {
    @Test func exhaustedPoolTimesOutWithAClearError() async throws {
        try await withPool(try TestDatabase.serverConfiguration(), maxConnections: 2, acquireTimeout: .milliseconds(300)) { pool in
            let holders = Holders(pool: pool)
            try await holders.hold(2)
            #expect(pool.statistics.inUse == 2)
            let started = ContinuousClock.now
            let error = try await #require(throws: PostgresError.self) {
                try await pool.withConnection { _ in }
            }
            #expect(error.code == .poolTimeout)
            #expect(error.description == "no database connection free within 0.3 s (pool size 2)")
            #expect(ContinuousClock.now - started >= .milliseconds(290))
            #expect(pool.statistics.waiting == 0)
            await holders.releaseAll()
            #expect(try await pool.withConnection { try await $0.query("SELECT 1 AS one")[0]["one", as: Int.self] } == 1)
            #expect(pool.statistics.open <= 2)
        }
    }

    @Test func timeoutMessageUsesWholeSeconds() async throws {
        try await withPool(try TestDatabase.serverConfiguration(), maxConnections: 1, acquireTimeout: .seconds(1)) { pool in
            let holders = Holders(pool: pool)
            try await holders.hold(1)
            let error = try await #require(throws: PostgresError.self) { try await pool.withConnection { _ in } }
            #expect(error.description == "no database connection free within 1 s (pool size 1)")
            await holders.releaseAll()
        }
    }

    @Test func waitersAreServedInArrivalOrderWhenAConnectionIsReleased() async throws {
        try await withPool(try TestDatabase.serverConfiguration(), maxConnections: 1, acquireTimeout: .seconds(10)) { pool in
            let holders = Holders(pool: pool)
            try await holders.hold(1)
            let order = Recorder<String>()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for name in ["first", "second", "third"] {
                    let queuedBefore = pool.statistics.waiting
                    group.addTask {
                        try await pool.withConnection { connection in
                            order.append(name)
                            _ = try await connection.query("SELECT 1")
                        }
                    }
                    try await waitUntil { pool.statistics.waiting == queuedBefore + 1 }
                }
                #expect(pool.statistics.waiting == 3)
                await holders.releaseAll()
                try await group.waitForAll()
            }
            #expect(order.elements == ["first", "second", "third"])
            #expect(pool.statistics == PostgresPoolStatistics(open: 1, idle: 1, inUse: 0, waiting: 0, maxConnections: 1))
        }
    }

    @Test func killedBackendIsReplacedOnTheNextLease() async throws {
        try await withPool(try TestDatabase.serverConfiguration(), maxConnections: 1) { pool in
            let firstPID = try await pool.withConnection { try await $0.query("SELECT pg_backend_pid() AS pid")[0]["pid", as: Int32.self] }
            try await withServerConnection { admin in
                let killed = try await admin.query("SELECT pg_terminate_backend(\(firstPID), 5000) AS killed")
                #expect(try killed[0]["killed", as: Bool.self])
            }
            let secondPID = try await pool.withConnection { try await $0.query("SELECT pg_backend_pid() AS pid")[0]["pid", as: Int32.self] }
            #expect(secondPID != firstPID)
            #expect(pool.statistics.open == 1)
        }
    }

    @Test func connectionBrokenDuringALeaseIsDiscarded() async throws {
        try await withPool(try TestDatabase.serverConfiguration(), maxConnections: 1) { pool in
            await #expect(throws: PostgresError.self) {
                try await pool.withConnection { connection in
                    _ = try await connection.query("SELECT pg_terminate_backend(pg_backend_pid())")
                }
            }
            #expect(pool.statistics.open == 0)
            #expect(await pool.ping())
        }
    }

    @Test func leaseEndingInsideATransactionDiscardsTheConnection() async throws {
        try await withPool(try TestDatabase.serverConfiguration(), maxConnections: 1) { pool in
            let pid = try await pool.withConnection { connection in
                try await connection.execute("BEGIN")
                return connection.backendPID
            }
            #expect(pool.statistics.open == 0)
            let inTransaction = try await pool.withConnection { connection in
                (connection.backendPID, try await connection.query("SELECT now() = statement_timestamp() AS fresh")[0]["fresh", as: Bool.self])
            }
            #expect(inTransaction.0 != pid)
        }
    }

    @Test func pingAndCloseReportState() async throws {
        let pool = PostgresPool(configuration: try TestDatabase.serverConfiguration(), maxConnections: 2)
        #expect(await pool.ping())
        #expect(pool.statistics.idle == 1)
        await pool.close()
        #expect(pool.statistics.open == 0)
        #expect(await pool.ping() == false)
        let error = try await #require(throws: PostgresError.self) { try await pool.withConnection { _ in } }
        #expect(error.code == .poolClosed)
    }

    @Test func unreachableServerMakesPingFalse() async throws {
        let configuration = PostgresConfiguration.unixSocket(directory: "/nonexistent-falaj", user: "postgres", database: "postgres")
        try await withPool(configuration, maxConnections: 1) { pool in
            #expect(await pool.ping() == false)
            #expect(pool.statistics.open == 0)
        }
    }
}

/// Tasks that each hold one pooled connection until released.
final class Holders: Sendable {
    let pool: PostgresPool
    private let gate = AsyncStream<Void>.makeStream()
    private let tasks = Mutex<[Task<Void, any Error>]>([])

    init(pool: PostgresPool) { self.pool = pool }

    /// Starts `count` holders and waits until all have their connection.
    func hold(_ count: Int) async throws {
        let acquired = AsyncStream<Void>.makeStream()
        for _ in 0..<count {
            let task = Task { [pool, gate] in
                try await pool.withConnection { _ in
                    acquired.continuation.yield()
                    for await _ in gate.stream { break }
                }
            }
            tasks.withLock { $0.append(task) }
        }
        var seen = 0
        for await _ in acquired.stream {
            seen += 1
            if seen == count { break }
        }
    }

    /// Releases every holder and waits for them to return their connections.
    func releaseAll() async {
        gate.continuation.finish()
        for task in tasks.withLock({ $0 }) { _ = try? await task.value }
    }
}

/// Polls `condition` every 10 ms for up to 5 s.
func waitUntil(_ condition: () -> Bool, file: String = #fileID, line: Int = #line) async throws {
    for _ in 0..<500 {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("condition not met within 5 s")
}
