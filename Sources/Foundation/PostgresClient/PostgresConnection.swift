public import BlockingPool
internal import CLibPQ
public import Logging

/// One libpq connection, leased to one task at a time (it is deliberately not `Sendable`).
///
/// Get one from ``PostgresPool/withConnection(_:)`` or open a standalone one with ``connect(configuration:threads:logger:)``.
/// Every libpq call that waits on the network runs on a dedicated ``BlockingPool`` thread; the calling task suspends
/// and the cooperative pool is never blocked. A statement runs to completion once started (task cancellation does not
/// interrupt it; use `statement_timeout` to bound slow statements).
public final class PostgresConnection {
    /// The libpq owner; nil once the lease ended or the connection was closed.
    private var backend: LibPQConnection?
    /// The threads blocking calls run on.
    private let threads: BlockingPool
    /// True when this connection created `threads` and must shut them down.
    private let ownsThreads: Bool
    /// Where statement failures and notices are logged.
    public let logger: Logger

    init(backend: LibPQConnection, threads: BlockingPool, ownsThreads: Bool, logger: Logger) {
        self.backend = backend
        self.threads = threads
        self.ownsThreads = ownsThreads
        self.logger = logger
    }

    deinit {
        if ownsThreads { threads.shutdown() }
    }

    /// Opens a standalone connection (not pooled). The connect runs on a blocking thread, never the cooperative pool.
    /// - Parameters:
    ///   - configuration: server, database and role.
    ///   - threads: where blocking libpq calls run; default nil, which gives this connection one dedicated thread of its own.
    ///   - logger: where notices and failures go; default label `falaj.postgres`.
    /// - Throws: ``PostgresError`` with code ``PostgresError/Code/connectionFailed``.
    public static func connect(
        configuration: PostgresConfiguration,
        threads: BlockingPool? = nil,
        logger: Logger = Logger(label: "falaj.postgres")
    ) async throws -> PostgresConnection {
        let pool = threads ?? BlockingPool(name: "falaj-pg-conn", threadCount: 1)
        do {
            let backend = try await pool.run { try LibPQConnection.connect(configuration, logger: logger) }
            return PostgresConnection(backend: backend, threads: pool, ownsThreads: threads == nil, logger: logger)
        } catch {
            if threads == nil { pool.shutdown() }
            throw error
        }
    }

    /// True while the connection is open and libpq considers it usable. Does not contact the server.
    public var isOpen: Bool { backend?.isOK ?? false }

    /// The process id of the server backend serving this connection (for `pg_terminate_backend`, logs), or 0 when closed.
    public var backendPID: Int32 { backend?.backendPID ?? 0 }

    /// Runs a statement and returns all its rows, copied out of libpq. Suspends while a blocking thread waits for the server.
    /// - Parameter query: the statement; interpolated values are bound parameters.
    /// - Throws: ``PostgresError`` (``PostgresError/Code/server`` with ``PostgresError/sqlState``, or a connection error).
    public nonisolated(nonsending) func query(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) async throws -> [PostgresRow] {
        try await run(query, file: file, line: line).rows
    }

    /// Runs a statement and returns the row count from its command tag: rows inserted, updated, deleted, selected or
    /// copied; 0 for statements without one (DDL, `BEGIN`, …).
    /// - Parameter query: the statement; interpolated values are bound parameters.
    @discardableResult
    public nonisolated(nonsending) func execute(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) async throws -> Int {
        try await run(query, file: file, line: line).affectedRows
    }

    /// Runs SQL text that may hold several statements, with no parameters (simple query protocol).
    ///
    /// For migration files and fixed DDL only: never build `unsafeSQL` from input.
    public nonisolated(nonsending) func simpleExecute(unsafeSQL sql: String, file: String = #fileID, line: Int = #line) async throws {
        let backend = try checkedBackend(file: file, line: line)
        do {
            try await threads.run { try backend.executeSimple(sql) }
        } catch let error as PostgresError {
            throw log(error.located(file: file, line: line))
        }
    }

    /// Sends a notification with `SELECT pg_notify($1, $2)`; listeners get it when this transaction commits.
    /// - Parameters:
    ///   - channel: the channel name (any string, case-sensitive).
    ///   - payload: the message; at most about 8000 bytes.
    public nonisolated(nonsending) func notify(channel: String, payload: String, file: String = #fileID, line: Int = #line) async throws {
        _ = try await run("SELECT pg_notify(\(channel), \(payload))", file: file, line: line)
    }

    /// Closes the connection; later calls throw ``PostgresError/Code/connectionReleased``. Does not block
    /// (libpq sends its goodbye on a non-blocking socket). Closing a pooled connection makes the pool discard it.
    public func close() {
        backend = nil
    }

    /// Runs a statement and returns the whole result.
    nonisolated(nonsending) func run(_ query: PostgresQuery, file: String, line: Int) async throws -> QueryResult {
        let backend = try checkedBackend(file: file, line: line)
        do {
            return try await threads.run { try backend.execute(query) }
        } catch let error as PostgresError {
            throw log(error.located(file: file, line: line))
        }
    }

    /// Ends the lease: returns the libpq owner and makes this wrapper unusable.
    func detach() -> LibPQConnection? {
        defer { backend = nil }
        return backend
    }

    private func checkedBackend(file: String, line: Int) throws -> LibPQConnection {
        guard let backend else {
            throw PostgresError(.connectionReleased, "the database connection was used after it was released or closed", file: file, line: line)
        }
        return backend
    }

    private func log(_ error: PostgresError) -> PostgresError {
        logger.debug("postgres statement failed", metadata: ["error": "\(String(reflecting: error))"])
        return error
    }
}

@available(*, unavailable, message: "a PostgresConnection is leased to one task; share a PostgresPool instead")
extension PostgresConnection: Sendable {}

/// One `NOTIFY` received by a ``PostgresListener``.
public struct PostgresNotification: Sendable, Hashable {
    /// The channel it was sent on.
    public let channel: String
    /// The payload (empty when none was given).
    public let payload: String
    /// The server process that sent it.
    public let backendPID: Int32

    /// Creates a notification value.
    public init(channel: String, payload: String, backendPID: Int32) {
        self.channel = channel
        self.payload = payload
        self.backendPID = backendPID
    }
}
