/// An error from the Postgres client: a connection, a statement, the pool, decoding, migrations or the embedded server.
///
/// ``description`` is safe to show a user: it never contains SQL text, bound values, server messages,
/// host names or file paths of the server. The details for the log come through `String(reflecting: error)`
/// (``debugDescription``), which adds the libpq or server message and the source location.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong, as an extensible set of codes (a struct, so new codes are not a breaking change).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidConfiguration
            case connectionFailed
            case connectionClosed
            case server
            case invalidBinding
            case transactionRolledBack
            case poolTimeout
            case poolClosed
            case decodingFailed
            case unexpectedNull
            case columnNotFound
            case connectionReleased
            case migrationInvalid
            case migrationChanged
            case migrationMissing
            case migrationLockTimeout
            case migrationFailed
            case embeddedServer
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A connection string or URL that libpq could not parse.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// libpq could not open a connection (server down, wrong socket, authentication failed).
        public static let connectionFailed = Code(.connectionFailed)
        /// An open connection broke (backend killed, server restarted, network gone).
        public static let connectionClosed = Code(.connectionClosed)
        /// The server rejected a statement; see ``PostgresError/sqlState``.
        public static let server = Code(.server)
        /// A bound value cannot be sent (for example a string containing a NUL character).
        public static let invalidBinding = Code(.invalidBinding)
        /// `COMMIT` found the transaction already failed, so the server rolled it back.
        public static let transactionRolledBack = Code(.transactionRolledBack)
        /// No pooled connection became free within the pool's acquire timeout.
        public static let poolTimeout = Code(.poolTimeout)
        /// The pool was closed.
        public static let poolClosed = Code(.poolClosed)
        /// A column value could not be decoded into the requested Swift type.
        public static let decodingFailed = Code(.decodingFailed)
        /// A column was NULL but the requested Swift type is not optional.
        public static let unexpectedNull = Code(.unexpectedNull)
        /// The result has no column with the requested name or index.
        public static let columnNotFound = Code(.columnNotFound)
        /// A ``PostgresConnection`` was used after its lease ended or after ``PostgresConnection/close()``.
        public static let connectionReleased = Code(.connectionReleased)
        /// A migration folder holds a badly named or duplicate file.
        public static let migrationInvalid = Code(.migrationInvalid)
        /// An applied migration's file changed after it was applied.
        public static let migrationChanged = Code(.migrationChanged)
        /// A migration recorded as applied has no file.
        public static let migrationMissing = Code(.migrationMissing)
        /// Another process held the migration lock for too long.
        public static let migrationLockTimeout = Code(.migrationLockTimeout)
        /// A migration's SQL failed; nothing of it was applied.
        public static let migrationFailed = Code(.migrationFailed)
        /// The embedded Postgres server could not be set up, started or stopped.
        public static let embeddedServer = Code(.embeddedServer)

        /// The code's name, for logs and metrics labels.
        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// The five-character SQLSTATE when the server rejected a statement (for example `23505`, unique violation).
    public let sqlState: String?
    /// The constraint the server named in the error, when there was one (useful to map a unique violation to a form field).
    public let constraintName: String?
    /// The message for users; free of internals.
    private let message: String
    /// Details for the log only: libpq or server messages, the failing statement.
    private let detail: String?
    /// The source file of the call that failed.
    public let file: String
    /// The source line of the call that failed.
    public let line: Int

    /// Creates an error. `message` must be safe for users; put internals in `detail`.
    package init(
        _ code: Code,
        _ message: String,
        detail: String? = nil,
        sqlState: String? = nil,
        constraintName: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.detail = detail
        self.sqlState = sqlState
        self.constraintName = constraintName
        self.file = file
        self.line = line
    }

    /// The user-facing message, redacted of internals.
    public var description: String { message }

    /// Everything known about the error, for logs: message, SQLSTATE, libpq/server details and source location.
    public var debugDescription: String {
        var text = "PostgresError(\(code)): \(message)"
        if let sqlState { text += " [SQLSTATE \(sqlState)]" }
        if let constraintName { text += " [constraint \(constraintName)]" }
        if let detail, !detail.isEmpty { text += " — \(detail)" }
        return text + " (\(file):\(line))"
    }

    /// True when the server reported a unique-constraint violation (SQLSTATE 23505).
    public var isUniqueViolation: Bool { sqlState == "23505" }

    /// True when the failure means the connection itself is gone and should be discarded.
    public var isConnectionLost: Bool { code == .connectionClosed || code == .connectionFailed }

    /// Copies this error with a different source location (used when a helper rethrows for its caller).
    func located(file: String, line: Int) -> PostgresError {
        PostgresError(code, message, detail: detail, sqlState: sqlState, constraintName: constraintName, file: file, line: line)
    }
}
