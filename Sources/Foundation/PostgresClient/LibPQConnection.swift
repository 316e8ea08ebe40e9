internal import CLibPQ
import Foundation
import Glibc
import Logging

/// The result of one statement, copied out of libpq.
struct QueryResult: Sendable {
    let rows: [PostgresRow]
    /// The row count from the command tag (`INSERT 0 3` → 3); 0 for statements without one.
    let affectedRows: Int
    /// The command tag (`SELECT 1`, `COMMIT`, `ROLLBACK`, …).
    let commandTag: String
}

/// Owns one libpq `PGconn`; `PQfinish`es it in `deinit`, also after a failed connect.
///
/// Every method here calls libpq directly. Those marked *blocks* wait on the network and must run on a
/// ``BlockingPool`` thread, never on the cooperative pool; the others are non-blocking (libpq keeps its socket
/// in non-blocking mode and only waits inside its blocking API calls).
final class LibPQConnection: @unchecked Sendable {
    // @unchecked Sendable: a PGconn must not be used by two threads at once. One lease holder uses this object
    // at a time: a PostgresConnection (not Sendable, used by one task) awaits each blocking call before the next,
    // and the pool hands the object from one lease to the next only under its lock. The mutable pool bookkeeping
    // below (`idleSince`, `needsHealthCheck`) follows the same rule.
    private let handle: OpaquePointer
    /// Receives libpq notices; `handle` keeps an unretained pointer to it, so it lives exactly as long as `self`.
    private let notices: NoticeSink
    /// When the connection was last released to a pool.
    var idleSince: ContinuousClock.Instant = .now
    /// Set when a lease ended with an error: check the connection before handing it out again.
    var needsHealthCheck = false
    /// Statements prepared on this connection: SQL text + parameter types → statement name. Parsing and planning a
    /// statement again on every call costs more than running it on hot paths (leases, sessions); a prepared statement
    /// is parsed once per connection (Postgres re-plans it by itself when the schema changes).
    private var preparedNames: [String: String] = [:]
    /// The most statements prepared on one connection; later ones run unprepared.
    static let preparedStatementLimit = 500

    private init(handle: OpaquePointer, logger: Logger) {
        self.handle = handle
        self.notices = NoticeSink(logger: logger)
        PQsetNoticeProcessor(
            handle,
            { context, message in
                guard let context, let message else { return }
                let sink = Unmanaged<NoticeSink>.fromOpaque(context).takeUnretainedValue()
                sink.logger.debug(
                    "postgres notice",
                    metadata: ["message": "\(String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines))"]
                )
            },
            Unmanaged.passUnretained(notices).toOpaque()
        )
    }

    deinit {
        PQfinish(handle)
    }

    /// Opens a connection. *Blocks* until connected or failed (libpq `connect_timeout`, default 10 s here).
    static func connect(_ configuration: PostgresConfiguration, logger: Logger) throws -> LibPQConnection {
        let parameters = configuration.connectParameters
        let keywords = parameters.map { strdup($0.0) } + [nil]
        let values = parameters.map { strdup($0.1) } + [nil]
        defer {
            for pointer in keywords + values { free(pointer) }
        }
        let raw = keywords.map { UnsafePointer($0) }.withUnsafeBufferPointer { keywordPointers in
            values.map { UnsafePointer($0) }.withUnsafeBufferPointer { valuePointers in
                PQconnectdbParams(keywordPointers.baseAddress, valuePointers.baseAddress, 0)
            }
        }
        guard let raw else { throw PostgresError(.connectionFailed, "could not connect to the database", detail: "libpq is out of memory") }
        let connection = LibPQConnection(handle: raw, logger: logger)  // owns `raw` from here on, also on failure
        guard PQstatus(raw) == CONNECTION_OK else {
            throw PostgresError(.connectionFailed, "could not connect to the database", detail: connection.errorMessage)
        }
        return connection
    }

    /// True while libpq considers the connection usable (non-blocking).
    var isOK: Bool { PQstatus(handle) == CONNECTION_OK }

    /// True when no transaction is open and no command is running (non-blocking).
    var isIdleOutsideTransaction: Bool { PQtransactionStatus(handle) == PQTRANS_IDLE }

    /// The server process id serving this connection.
    var backendPID: Int32 { PQbackendPID(handle) }

    /// The socket's file descriptor, or -1.
    var socket: Int32 { PQsocket(handle) }

    /// libpq's last error message, for logs.
    var errorMessage: String {
        String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs one statement with its bound parameters (extended protocol, text format). *Blocks.*
    func execute(_ query: PostgresQuery) throws -> QueryResult {
        let bindings = query.bindings
        if bindings.values.contains(where: { $0?.utf8.contains(0) == true }) {
            throw PostgresError(.invalidBinding, "a bound value contains a NUL character, which Postgres text cannot store")
        }
        let values = bindings.values.map { $0.map { strdup($0) } ?? nil }
        defer {
            for pointer in values { free(pointer) }
        }
        let types = bindings.types.map { Oid($0.rawValue) }
        let name = try preparedName(for: query.sql, types: types)
        let result = values.map { UnsafePointer($0) }.withUnsafeBufferPointer { valuePointers in
            types.withUnsafeBufferPointer { typePointers in
                if let name {
                    PQexecPrepared(handle, name, Int32(values.count), valuePointers.baseAddress, nil, nil, 0)
                } else {
                    PQexecParams(handle, query.sql, Int32(values.count), typePointers.baseAddress, valuePointers.baseAddress, nil, nil, 0)
                }
            }
        }
        return try consume(result, statement: query.sql)
    }

    /// The name of `sql` prepared with `types` on this connection, preparing it on first use (one extra round trip);
    /// nil once ``preparedStatementLimit`` statements are prepared. *Blocks.*
    /// - Throws: the server's error when the statement cannot be prepared (a syntax error, an aborted transaction),
    ///   exactly as running it would.
    private func preparedName(for sql: String, types: [Oid]) throws -> String? {
        let key = types.map(String.init).joined(separator: ",") + "|" + sql
        if let name = preparedNames[key] { return name }
        guard preparedNames.count < Self.preparedStatementLimit else { return nil }
        let name = "falaj_\(preparedNames.count)"
        let result = types.withUnsafeBufferPointer { typePointers in
            PQprepare(handle, name, sql, Int32(types.count), typePointers.baseAddress)
        }
        _ = try consume(result, statement: sql)
        preparedNames[key] = name
        return name
    }

    /// Runs SQL text that may hold several statements (simple protocol, no parameters). *Blocks.*
    func executeSimple(_ sql: String) throws {
        _ = try consume(PQexec(handle, sql), statement: sql)
    }

    /// A non-blocking look at an idle connection: reads whatever the server sent unasked.
    ///
    /// - Returns: `.healthy` when nothing arrived, `.suspicious` when input arrived (an error notice such as
    ///   "terminating connection"), `.broken` when libpq saw the connection end.
    func probeIdle() -> IdleProbe {
        guard isOK, socket >= 0 else { return .broken }
        var sawInput = false
        for _ in 0..<4 {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 0) > 0 else { break }
            sawInput = true
            if PQconsumeInput(handle) == 0 || !isOK { return .broken }
        }
        drainNotifications()
        return sawInput ? .suspicious : .healthy
    }

    /// The answer of ``probeIdle()``.
    enum IdleProbe {
        case healthy, suspicious, broken
    }

    /// Reads available input without blocking and returns the notifications received. Throws when the connection broke.
    func readNotifications() throws -> [PostgresNotification] {
        guard PQconsumeInput(handle) == 1, isOK else {
            throw PostgresError(.connectionClosed, "the database connection was lost", detail: errorMessage)
        }
        return drainNotifications()
    }

    @discardableResult
    private func drainNotifications() -> [PostgresNotification] {
        var notifications: [PostgresNotification] = []
        while let notify = PQnotifies(handle) {
            defer { PQfreemem(notify) }
            notifications.append(
                PostgresNotification(
                    channel: String(cString: notify.pointee.relname),
                    payload: String(cString: notify.pointee.extra),
                    backendPID: notify.pointee.be_pid
                )
            )
        }
        return notifications
    }

    /// Turns a `PGresult` into a value or an error, and frees it.
    private func consume(_ result: OpaquePointer?, statement: String) throws -> QueryResult {
        guard let result else {
            throw PostgresError(.connectionClosed, "the database connection was lost", detail: errorMessage)
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE:
            let tag = String(cString: PQcmdStatus(result))
            return QueryResult(rows: Self.rows(of: result), affectedRows: Int(String(cString: PQcmdTuples(result))) ?? 0, commandTag: tag)
        default:
            let sqlState = Self.field(result, "C")
            if sqlState == nil && !isOK {
                throw PostgresError(.connectionClosed, "the database connection was lost", detail: errorMessage)
            }
            let message = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
            throw PostgresError(
                .server,
                "the database rejected the statement (SQLSTATE \(sqlState ?? "unknown"))",
                detail: "\(message) — statement: \(statement.prefix(500))",
                sqlState: sqlState,
                constraintName: Self.field(result, "n")
            )
        }
    }

    private static func field(_ result: OpaquePointer, _ code: Unicode.Scalar) -> String? {
        PQresultErrorField(result, Int32(code.value)).map { String(cString: $0) }
    }

    private static func rows(of result: OpaquePointer) -> [PostgresRow] {
        let fieldCount = PQnfields(result)
        let rowCount = PQntuples(result)
        guard fieldCount > 0 else { return [] }
        let columns = PostgresColumns(
            names: (0..<fieldCount).map { String(cString: PQfname(result, $0)) },
            types: (0..<fieldCount).map { PostgresDataType(rawValue: UInt32(PQftype(result, $0))) }
        )
        return (0..<rowCount).map { row in
            let values = (0..<fieldCount).map { column -> String? in
                guard PQgetisnull(result, row, column) == 0, let value = PQgetvalue(result, row, column) else { return nil }
                let bytes = UnsafeRawBufferPointer(start: value, count: Int(PQgetlength(result, row, column)))
                return String(decoding: bytes, as: UTF8.self)
            }
            return PostgresRow(columns: columns, values: values)
        }
    }
}

/// Where libpq notices go: the connection's logger at debug level.
private final class NoticeSink: Sendable {
    let logger: Logger
    init(logger: Logger) { self.logger = logger }
}
