/// A problem reading, parsing or converting tabular data, worded for the person who uploaded the file.
///
/// Readers throw fatal problems (a header over the column limit, an oversized field, an unterminated quote) and hand out
/// recoverable row problems (a ragged row, a stray quote, invalid UTF-8, a duplicate JSON key) as values, so the caller
/// can skip the row or reject the file. ``message`` puts the location first:
/// `Line 42, column 'age': '4x' is not an integer`.
public struct TabularError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem this is; compare against the static members (`error.code == .raggedRow`).
    public let code: Code
    /// The 1-based physical line where the problem's record starts, when known.
    public let line: Int?
    /// The name of the column (CSV header name or JSON key) the problem is in, when known.
    public let column: String?
    /// What is wrong, without the location (for example `'4x' is not an integer`).
    public let reason: String

    /// Creates an error. `reason` should start in lower case; ``message`` adds the location in front of it.
    public init(_ code: Code, line: Int? = nil, column: String? = nil, reason: String) {
        self.code = code
        self.line = line
        self.column = column
        self.reason = reason
    }

    /// The full sentence for the user: location (when known) then reason, e.g. `Line 3, column 'name': …`.
    public var message: String {
        switch (line, column) {
        case (let line?, let column?): "Line \(line), column '\(column)': \(reason)"
        case (let line?, nil): "Line \(line): \(reason)"
        case (nil, let column?): "Column '\(column)': \(reason)"
        case (nil, nil): reason.prefix(1).uppercased() + reason.dropFirst()
        }
    }

    /// The same as ``message``.
    public var description: String { message }

    /// This error with a line and column filled in where it had none (used to locate value-parsing errors).
    public func located(line: Int?, column: String?) -> TabularError {
        TabularError(code, line: self.line ?? line, column: self.column ?? column, reason: reason)
    }

    /// The kind of a ``TabularError``. A struct rather than an enum so that new kinds can be added without breaking
    /// callers that switch over it.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Kind: String, Sendable, Hashable {
            case missingHeader, tooManyColumns, fieldTooLong, recordTooLong, unterminatedQuote, invalidColumnName
            case strayQuote, textAfterClosingQuote, bareCarriageReturn, raggedRow, invalidUTF8
            case invalidJSON, nestedValue, duplicateKey, invalidValue, invalidSchema, unknownColumn, readerMisuse
        }

        private let kind: Kind

        private init(_ kind: Kind) { self.kind = kind }

        /// The short name of the code, such as `raggedRow`.
        public var description: String { kind.rawValue }

        /// The input ended before a CSV header line (fatal).
        public static let missingHeader = Code(.missingHeader)
        /// A header (fatal) or JSON object (row-level) has more columns than ``ReaderLimits/maxColumns``.
        public static let tooManyColumns = Code(.tooManyColumns)
        /// A field is longer than ``ReaderLimits/maxFieldBytes`` (fatal in CSV, row-level in JSON lines).
        public static let fieldTooLong = Code(.fieldTooLong)
        /// A record or line is longer than ``ReaderLimits/maxRecordBytes`` (fatal).
        public static let recordTooLong = Code(.recordTooLong)
        /// The input ended inside a quoted CSV field (fatal).
        public static let unterminatedQuote = Code(.unterminatedQuote)
        /// A header or schema column name is empty, duplicated or too long (fatal).
        public static let invalidColumnName = Code(.invalidColumnName)
        /// A `"` inside an unquoted CSV field (row-level).
        public static let strayQuote = Code(.strayQuote)
        /// Text between a closing quote and the next delimiter (row-level).
        public static let textAfterClosingQuote = Code(.textAfterClosingQuote)
        /// A carriage return not followed by a line feed outside quotes (row-level; fatal in the header).
        public static let bareCarriageReturn = Code(.bareCarriageReturn)
        /// A record whose field count differs from the header's (row-level).
        public static let raggedRow = Code(.raggedRow)
        /// A field or JSON line that is not valid UTF-8 (row-level; fatal in the header).
        public static let invalidUTF8 = Code(.invalidUTF8)
        /// A JSON line that is not one valid JSON object (row-level).
        public static let invalidJSON = Code(.invalidJSON)
        /// A JSON value that is an object or an array (row-level).
        public static let nestedValue = Code(.nestedValue)
        /// A JSON object with the same key twice (row-level).
        public static let duplicateKey = Code(.duplicateKey)
        /// A value that does not parse as its column's type.
        public static let invalidValue = Code(.invalidValue)
        /// An explicit schema string that cannot be parsed.
        public static let invalidSchema = Code(.invalidSchema)
        /// An explicit schema names columns the file lacks.
        public static let unknownColumn = Code(.unknownColumn)
        /// A reader was used against its protocol (input fed after `finish()`).
        public static let readerMisuse = Code(.readerMisuse)
    }
}

/// Wording helpers for the Formats layer's messages.
enum MessageText {
    /// The number with thousands separators (`10,000`).
    static func grouped(_ number: Int) -> String {
        let digits = String(number.magnitude)
        var result = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return number < 0 ? "-" + result : result
    }

    /// A count with its noun, singular or plural: `1 field`, `5,000 fields`.
    static func counted(_ number: Int, _ noun: String) -> String {
        "\(grouped(number)) \(noun)\(number == 1 ? "" : "s")"
    }

    /// A byte count: `1 MiB (1,048,576 bytes)` when it is a whole number of KiB or MiB.
    static func bytes(_ count: Int) -> String {
        if count >= 1 << 20 && count % (1 << 20) == 0 { return "\(count >> 20) MiB (\(grouped(count)) bytes)" }
        if count >= 1 << 10 && count % (1 << 10) == 0 { return "\(count >> 10) KiB (\(grouped(count)) bytes)" }
        return "\(grouped(count)) bytes"
    }

    /// The text quoted for a message, shortened to `limit` characters so a huge bad value cannot flood it.
    static func quoted(_ text: some StringProtocol, limit: Int = 40) -> String {
        text.count > limit ? "'\(text.prefix(limit))…'" : "'\(text)'"
    }
}
