/// Why an ML-lifecycle operation was refused; the portal maps each case to an HTTP status and a problem document.
public enum PlatformError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Input failed validation; field → message (422).
    case invalidFields([String: String])
    /// The caller may not do this (403).
    case forbidden(String)
    /// No such project, dataset or version visible to the caller (404).
    case notFound(String)
    /// The request conflicts with what exists, e.g. a name already taken (409).
    case conflict(String)
    /// An upload was refused as a whole: what was wrong, with the first rejected rows (422). Nothing was stored.
    case uploadRejected(UploadRejection)

    /// One invalid field.
    public static func invalid(field: String, _ message: String) -> PlatformError { .invalidFields([field: message]) }

    /// A sentence for logs and error bodies.
    public var description: String {
        switch self {
        case .invalidFields(let fields): fields.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
        case .forbidden(let message), .notFound(let message), .conflict(let message): message
        case .uploadRejected(let rejection): rejection.message
        }
    }
}

/// Why an upload stored nothing, and the rows that made it so.
public struct UploadRejection: Sendable, Equatable {
    /// One sentence for the user, e.g. "3 rows were rejected; nothing was stored (send on_error=skip to keep the others)".
    public var message: String
    /// The first rejected rows (at most ``RowRejection/reportLimit``), in file order.
    public var rows: [RowRejection]
    /// All rows rejected up to the point the upload stopped.
    public var rejectedCount: Int

    /// Creates a rejection.
    public init(message: String, rows: [RowRejection], rejectedCount: Int) {
        self.message = message
        self.rows = rows
        self.rejectedCount = rejectedCount
    }
}

/// One row of an upload that was not accepted: where, which column (when one is to blame) and why.
public struct RowRejection: Sendable, Equatable, Codable {
    /// How many rejections a report keeps (more are counted, not listed).
    public static let reportLimit = 100
    /// The 1-based line of the file where the row starts.
    public var line: Int
    /// The column at fault, if one is.
    public var column: String?
    /// What was wrong, for a person.
    public var reason: String

    /// Creates a rejection.
    public init(line: Int, column: String?, reason: String) {
        self.line = line
        self.column = column
        self.reason = reason
    }
}
