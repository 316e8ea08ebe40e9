public import ServiceLifecycle

extension PostgresPool: Service {
    /// Runs until graceful shutdown (or cancellation), then closes the pool; see ``close()``.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }
}
