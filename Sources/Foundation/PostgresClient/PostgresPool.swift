import BlockingPool
import Dispatch
public import Logging
import Synchronization

/// A bounded pool of ``PostgresConnection``s to one database, safe to share between tasks.
///
/// * At most `maxConnections` are open. When all are in use, callers wait in FIFO order and fail after
///   `acquireTimeout` with ``PostgresError/Code/poolTimeout`` ("no database connection free within 5 s (pool size 10)").
/// * Connections open lazily. Before an idle connection is reused it is probed without blocking; one that broke
///   (backend killed, server restarted) is discarded and replaced, and one whose last lease failed, that received
///   unexpected input, or that sat idle longer than `idleCheckInterval` first answers `SELECT 1`.
/// * Blocking libpq calls run on the pool's own `maxConnections` threads, never on the cooperative pool.
/// * A lease that ends inside an open transaction, or with a broken connection, discards that connection.
/// * Session state (`SET`, `set_config(…, false)`, `SET ROLE`, temporary tables) survives into the next lease of the same
///   connection. Set per-request values only through ``withTransaction(settings:file:line:_:)``, which scopes them to
///   the transaction.
public final class PostgresPool: Sendable {
    private typealias Waiter = CheckedContinuation<PoolGrant<LibPQConnection>, any Error>
    private typealias State = PoolStateMachine<LibPQConnection, Waiter>

    /// The server, database and role every connection uses.
    public let configuration: PostgresConfiguration
    /// The most connections open at once.
    public let maxConnections: Int
    /// How long a caller waits for a free connection.
    public let acquireTimeout: Duration
    /// How long a connection may sit idle before it must answer `SELECT 1` on reuse.
    public let idleCheckInterval: Duration
    /// Where connection events go.
    public let logger: Logger
    /// The threads that run blocking libpq calls, one per connection.
    private let threads: BlockingPool
    private let state: Mutex<State>
    private let nextWaiterID = Atomic<Int>(0)

    /// Creates a pool; no connection is opened until the first lease.
    /// - Parameters:
    ///   - configuration: server, database and role.
    ///   - maxConnections: the most connections open at once (and blocking threads started); default 10.
    ///   - acquireTimeout: how long a caller waits when all connections are in use; default 5 s.
    ///   - idleCheckInterval: idle time after which a connection is checked with `SELECT 1` before reuse; default 30 s.
    ///   - logger: where connection events go; default label `falaj.postgres.pool`.
    public init(
        configuration: PostgresConfiguration,
        maxConnections: Int = 10,
        acquireTimeout: Duration = .seconds(5),
        idleCheckInterval: Duration = .seconds(30),
        logger: Logger = Logger(label: "falaj.postgres.pool")
    ) {
        self.configuration = configuration
        self.maxConnections = max(1, maxConnections)
        self.acquireTimeout = acquireTimeout
        self.idleCheckInterval = idleCheckInterval
        self.logger = logger
        self.threads = BlockingPool(name: "falaj-pg", threadCount: self.maxConnections)
        self.state = Mutex(State(maxConnections: self.maxConnections))
    }

    deinit {
        threads.shutdown()
    }

    /// Leases a connection for the duration of `body`, then returns it to the pool (also when `body` throws).
    ///
    /// Suspends (never blocks) while waiting for a free connection, at most ``acquireTimeout``.
    /// - Throws: ``PostgresError`` with ``PostgresError/Code/poolTimeout``, ``PostgresError/Code/poolClosed`` or
    ///   ``PostgresError/Code/connectionFailed``; or whatever `body` throws.
    @discardableResult
    public nonisolated(nonsending) func withConnection<Result>(
        file: String = #fileID,
        line: Int = #line,
        _ body: nonisolated(nonsending) (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let backend = try await acquire(file: file, line: line)
        let connection = PostgresConnection(backend: backend, threads: threads, ownsThreads: false, logger: logger)
        do {
            let result = try await body(connection)
            release(connection.detach(), failed: false)
            return result
        } catch {
            release(connection.detach(), failed: true)
            throw error
        }
    }

    /// Leases a connection and runs `body` in a transaction on it; see ``PostgresConnection/withTransaction(settings:file:line:_:)``.
    ///
    /// `BEGIN`; each setting through `SELECT set_config($1, $2, true)` (transaction-local: this is how the tenant id
    /// reaches row-level security); `body`; `COMMIT`. When `body` throws: `ROLLBACK`, then the error is rethrown.
    /// - Parameters:
    ///   - settings: configuration parameters for this transaction only, such as `[("app.tenant_id", tenantID)]`; default none.
    ///   - body: the work.
    @discardableResult
    public nonisolated(nonsending) func withTransaction<Result>(
        settings: [(name: String, value: String)] = [],
        file: String = #fileID,
        line: Int = #line,
        _ body: nonisolated(nonsending) (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withConnection(file: file, line: line) { connection in
            try await connection.withTransaction(settings: settings, file: file, line: line, body)
        }
    }

    /// Sends a notification with `SELECT pg_notify($1, $2)` on a pooled connection.
    public func notify(channel: String, payload: String, file: String = #fileID, line: Int = #line) async throws {
        try await withConnection(file: file, line: line) { try await $0.notify(channel: channel, payload: payload, file: file, line: line) }
    }

    /// True when a connection can be leased and answers `SELECT 1` (for `/readyz`). Waits at most ``acquireTimeout`` for a connection.
    public func ping() async -> Bool {
        do {
            return try await withConnection { try await $0.query("SELECT 1").count == 1 }
        } catch {
            logger.debug("postgres ping failed", metadata: ["error": "\(String(reflecting: error))"])
            return false
        }
    }

    /// The pool's current counts (for `/metrics`).
    public var statistics: PostgresPoolStatistics {
        state.withLock { state in
            PostgresPoolStatistics(
                open: state.idle.count + state.leased,
                idle: state.idle.count,
                inUse: state.leased,
                waiting: state.waiting,
                maxConnections: state.maxConnections
            )
        }
    }

    /// Closes the pool: waiting callers fail with ``PostgresError/Code/poolClosed``, idle connections close now, leased
    /// ones close when their lease ends, and new leases fail. Does not wait for leased connections. Safe to call twice.
    public func close() async {
        let (idle, waiters, isDrained) = state.withLock { $0.close() }
        for waiter in waiters {
            waiter.resume(throwing: PostgresError(.poolClosed, "the database connection pool is closed"))
        }
        withExtendedLifetime(idle) {}  // dropping them PQfinish-es them (non-blocking)
        if isDrained { threads.shutdown() }
    }

    // MARK: - Leasing

    private func acquire(file: String, line: Int) async throws -> LibPQConnection {
        let waiterID = nextWaiterID.add(1, ordering: .relaxed).newValue
        let grant = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (waiter: Waiter) in
                let action = state.withLock { state -> State.AcquireAction? in
                    Task.isCancelled ? nil : state.acquire(waiterID: waiterID, waiter: waiter)
                }
                switch action {
                case nil: waiter.resume(throwing: CancellationError())
                case .reuse(let connection): waiter.resume(returning: .connection(connection))
                case .connect: waiter.resume(returning: .slot)
                case .closed: waiter.resume(throwing: PostgresError(.poolClosed, "the database connection pool is closed", file: file, line: line))
                case .wait: scheduleTimeout(waiterID: waiterID, file: file, line: line)
                }
            }
        } onCancel: {
            state.withLock { $0.removeWaiter(id: waiterID) }?.resume(throwing: CancellationError())
        }
        if case .connection(let connection) = grant, await isHealthy(connection) {
            return connection
        }
        do {
            let connection = try await threads.run { [configuration, logger] in try LibPQConnection.connect(configuration, logger: logger) }
            logger.debug("postgres connection opened", metadata: ["backend_pid": "\(connection.backendPID)"])
            return connection
        } catch {
            perform(state.withLock { $0.releaseSlot() })
            throw (error as? PostgresError)?.located(file: file, line: line) ?? error
        }
    }

    private func scheduleTimeout(waiterID: Int, file: String, line: Int) {
        let components = acquireTimeout.components
        let nanoseconds = max(0, components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000)
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) { [weak self] in
            guard let self, let waiter = self.state.withLock({ $0.removeWaiter(id: waiterID) }) else { return }
            let error = PostgresError(
                .poolTimeout,
                "no database connection free within \(Self.format(self.acquireTimeout)) (pool size \(self.maxConnections))",
                file: file,
                line: line
            )
            self.logger.warning("postgres pool exhausted", metadata: ["error": "\(error)"])
            waiter.resume(throwing: error)
        }
    }

    /// Probes an idle connection; runs `SELECT 1` on a blocking thread when the probe or its history is suspicious.
    private func isHealthy(_ connection: LibPQConnection) async -> Bool {
        let probe = connection.probeIdle()
        var mustPing = probe == .suspicious || connection.needsHealthCheck
        if probe == .healthy, ContinuousClock.now - connection.idleSince > idleCheckInterval { mustPing = true }
        var healthy = probe != .broken
        if healthy && mustPing {
            healthy = (try? await threads.run { try connection.execute("SELECT 1") }) != nil
        }
        if !healthy {
            logger.info("postgres connection broken; replacing it", metadata: ["backend_pid": "\(connection.backendPID)"])
        }
        return healthy
    }

    private func release(_ connection: LibPQConnection?, failed: Bool) {
        guard let connection, connection.isOK, connection.isIdleOutsideTransaction else {
            if let connection {
                logger.debug("postgres connection discarded", metadata: ["backend_pid": "\(connection.backendPID)", "open": "\(connection.isOK)"])
            }
            perform(state.withLock { $0.releaseSlot() })
            return
        }
        connection.needsHealthCheck = failed
        connection.idleSince = .now
        perform(state.withLock { $0.release(connection) })
    }

    private func perform(_ action: State.ReleaseAction) {
        switch action {
        case .none:
            break
        case .resume(let waiter, .connection(let connection)):
            waiter.resume(returning: .connection(connection))
        case .resume(let waiter, .slot):
            waiter.resume(returning: .slot)
        case .close(let connection, let isLast):
            withExtendedLifetime(connection) {}
            if isLast { threads.shutdown() }
        }
    }

    /// `5 s`, `0.25 s`.
    private static func format(_ duration: Duration) -> String {
        let components = duration.components
        if components.attoseconds == 0 { return "\(components.seconds) s" }
        let seconds = Double(components.seconds) + Double(components.attoseconds) / 1e18
        return "\((seconds * 1000).rounded() / 1000) s"
    }
}

/// A snapshot of a ``PostgresPool``'s counts, for `/metrics`.
public struct PostgresPoolStatistics: Sendable, Hashable {
    /// Connections open or being opened (`idle + inUse`).
    public let open: Int
    /// Open connections not leased.
    public let idle: Int
    /// Connections leased or being opened.
    public let inUse: Int
    /// Callers waiting for a connection.
    public let waiting: Int
    /// The pool's size limit.
    public let maxConnections: Int

    /// Creates a snapshot (for tests and fakes).
    public init(open: Int, idle: Int, inUse: Int, waiting: Int, maxConnections: Int) {
        self.open = open
        self.idle = idle
        self.inUse = inUse
        self.waiting = waiting
        self.maxConnections = maxConnections
    }
}
