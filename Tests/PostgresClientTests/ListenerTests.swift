import PostgresClient
import TestSupport
import Testing

@Suite struct ListenerTests {
    @Test func notificationsArriveWithChannelAndPayload() async throws {
        let configuration = try TestDatabase.serverConfiguration()
        let listener = try await PostgresListener(configuration: configuration, channels: ["falaj_jobs", "Other Channel"])
        defer { listener.stop() }
        try await withPool(configuration, maxConnections: 1) { pool in
            try await pool.notify(channel: "falaj_jobs", payload: "job 1 ready ☑")
            try await pool.notify(channel: "not_listened", payload: "ignored")
            try await pool.notify(channel: "Other Channel", payload: "")
        }
        let received = await collect(2, from: listener)
        try #require(received.count == 2)
        #expect(received.map(\.channel) == ["falaj_jobs", "Other Channel"])
        #expect(received.map(\.payload) == ["job 1 ready ☑", ""])
        #expect(received[0].backendPID > 0)
    }

    @Test func notificationsInsideATransactionArriveOnCommitOnly() async throws {
        let configuration = try TestDatabase.serverConfiguration()
        let listener = try await PostgresListener(configuration: configuration, channels: ["falaj_tx"])
        defer { listener.stop() }
        try await withPool(configuration, maxConnections: 1) { pool in
            try? await pool.withTransaction { connection in
                try await connection.notify(channel: "falaj_tx", payload: "rolled back")
                throw CancellationError()
            }
            try await pool.withTransaction { try await $0.notify(channel: "falaj_tx", payload: "committed") }
        }
        #expect(await collect(1, from: listener).map(\.payload) == ["committed"])
    }

    @Test func sequenceEndsWhenTheConsumingTaskIsCancelled() async throws {
        let listener = try await PostgresListener(configuration: try TestDatabase.serverConfiguration(), channels: ["falaj_idle"])
        let consumer = Task {
            var count = 0
            for await _ in listener { count += 1 }
            return count
        }
        try await Task.sleep(for: .milliseconds(50))
        consumer.cancel()
        #expect(await consumer.value == 0)
    }

    @Test func listenerReconnectsAfterItsBackendIsKilled() async throws {
        let configuration = try TestDatabase.serverConfiguration()
        let listener = try await PostgresListener(configuration: configuration, channels: ["falaj_reconnect"], reconnectDelay: .milliseconds(50))
        defer { listener.stop() }
        try await withServerConnection { admin in
            _ = try await admin.query(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE query = \("LISTEN \"falaj_reconnect\"")"
            )
        }
        try await waitUntil { listener.reconnectCount >= 1 }
        #expect(listener.gapCount == 1 && listener.isConnected)
        try await withPool(configuration, maxConnections: 1) { pool in
            try await pool.notify(channel: "falaj_reconnect", payload: "after reconnect")
        }
        // The gap marker comes first: whatever was notified while the connection was down is lost.
        let delivered = await collect(2, from: listener)
        #expect(delivered.first == PostgresListener.gapMarker)
        #expect(delivered.map(\.payload) == ["", "after reconnect"])
    }

    @Test func firstConnectFailureIsThrown() async throws {
        let configuration = PostgresConfiguration.unixSocket(directory: "/nonexistent-falaj", user: "postgres", database: "postgres")
        let error = try await #require(throws: PostgresError.self) {
            _ = try await PostgresListener(configuration: configuration, channels: ["x"])
        }
        #expect(error.code == .connectionFailed)
    }
}
