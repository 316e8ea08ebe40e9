/// An incremental RFC 4180 CSV parser: feed it byte chunks of any size, split anywhere, and pull events.
///
/// ```swift
/// var reader = CSVReader()
/// for try await chunk in upload {
///     try reader.feed(chunk)
///     while let event = try reader.next() { try handle(event) }
/// }
/// reader.finish()
/// while let event = try reader.next() { try handle(event) }
/// ```
///
/// - The first record is the header; its names are trimmed of spaces and tabs and validated (``HeaderValidation``).
///   A UTF-8 byte-order mark at the very start is skipped.
/// - Records end with `\r\n` or `\n`; the last one may lack a line end. A carriage return not followed by a line feed
///   outside quotes is a row problem (classic Mac CR-only files are refused at the header).
/// - Completely empty lines are skipped anywhere, so a one-column file cannot hold a missing value on its own line
///   (``CSVWriter`` writes `""` there instead).
/// - An unquoted empty field is missing (`nil` in ``CSVRecord/fields``); a quoted empty field `""` is the empty string.
/// - Row problems (ragged rows, a quote inside an unquoted field, text after a closing quote, invalid UTF-8) come out as
///   ``CSVEvent/malformed(_:)`` and the next record is read normally. Fatal problems are thrown, and every later call
///   throws the same error.
///
/// Memory: the reader holds the unfinished tail of the input plus the last chunk fed, never more than about
/// ``ReaderLimits/maxRecordBytes`` plus one chunk, as long as events are drained after each ``feed(_:)``.
public struct CSVReader: Sendable {
    /// The limits this reader enforces.
    public let limits: ReaderLimits
    /// The validated header once it has been read, otherwise `nil`.
    public private(set) var header: [String]?

    var buffer: [UInt8] = []
    var scanner: CSVScanner
    var isEndOfInput = false
    private var hasCheckedByteOrderMark = false
    var failure: TabularError?
    private var unescaped: [UInt8] = []

    /// Creates a reader that enforces `limits` (by default 1,000 columns, 1 MiB fields, 16 MiB records).
    public init(limits: ReaderLimits = ReaderLimits()) {
        self.limits = limits
        scanner = CSVScanner(limits: limits)
    }

    /// The number of input bytes the reader holds right now (the unfinished tail plus the last chunk); for tests and
    /// metrics that check memory stays bounded.
    public var bufferedByteCount: Int { buffer.count }

    /// Adds the next chunk of input. Call ``next()`` until it returns `nil` before feeding more.
    /// - Throws: the reader's fatal error if it has failed, or ``TabularError/Code/readerMisuse`` after ``finish()``.
    public mutating func feed(_ chunk: some Sequence<UInt8>) throws(TabularError) {
        if let failure { throw failure }
        guard !isEndOfInput else { throw TabularError(.readerMisuse, reason: "input was fed to a CSV reader after finish()") }
        let consumed = scanner.recordStart
        if consumed > 0 {
            buffer.removeSubrange(0..<consumed)
            scanner.shift(by: consumed)
        }
        buffer.append(contentsOf: chunk)
    }

    /// Marks the end of input. Keep calling ``next()`` afterwards: it returns the last record (which may lack a line
    /// end), then throws if the input ended inside a quoted field or before a header, then returns `nil`.
    public mutating func finish() {
        isEndOfInput = true
    }

    /// The next event, or `nil` when the fed input holds no further complete record (feed more, or it has ended).
    /// - Throws: a fatal ``TabularError`` (header problems, limits, unterminated quote, empty input).
    public mutating func next() throws(TabularError) -> CSVEvent? {
        if let failure { throw failure }
        do {
            return try readEvent()
        } catch {
            failure = error
            throw error
        }
    }

    mutating func readEvent() throws(TabularError) -> CSVEvent? {
        guard skipByteOrderMark() else { return nil }
        let bytes = buffer
        let outcome = try bytes.withUnsafeBufferPointer { (bytes) throws(TabularError) in
            try scanner.scan(bytes, isEndOfInput: isEndOfInput)
        }
        switch outcome {
        case .needsInput:
            return nil
        case .endOfInput:
            if header == nil { throw TabularError(.missingHeader, reason: "the file is empty: it has no header line") }
            return nil
        case .record:
            defer { scanner.beginNextRecord() }
            return try bytes.withUnsafeBufferPointer { (bytes) throws(TabularError) in try makeEvent(bytes) }
        }
    }

    /// Returns false while too few bytes have arrived to tell whether the input starts with a byte-order mark.
    private mutating func skipByteOrderMark() -> Bool {
        if hasCheckedByteOrderMark { return true }
        let mark: [UInt8] = [0xEF, 0xBB, 0xBF]
        if buffer.count < mark.count && !isEndOfInput && buffer.elementsEqual(mark.prefix(buffer.count)) { return false }
        hasCheckedByteOrderMark = true
        if buffer.starts(with: mark) { scanner.skipPrefix(mark.count) }
        return true
    }

    mutating func makeEvent(_ bytes: UnsafeBufferPointer<UInt8>) throws(TabularError) -> CSVEvent {
        guard let header else { return .header(try readHeader(bytes)) }
        let line = scanner.recordLine
        if let problem = scanner.problem {
            return .malformed(scanner.makeError(problem.code, line: line, fieldIndex: problem.fieldIndex, Self.describe(problem.code)))
        }
        guard scanner.fieldCount == header.count else {
            let reason =
                "the row has \(MessageText.counted(scanner.fieldCount, "field")) but the header has \(MessageText.counted(header.count, "column"))"
            return .malformed(TabularError(.raggedRow, line: line, reason: reason))
        }
        var fields: [String?] = []
        fields.reserveCapacity(header.count)
        for (index, span) in scanner.spans.enumerated() {
            if !span.isQuoted && span.start == span.end {
                fields.append(nil)
            } else if let text = decode(span, in: bytes) {
                fields.append(text)
            } else {
                return .malformed(scanner.makeError(.invalidUTF8, line: line, fieldIndex: index, "the field is not valid UTF-8 text"))
            }
        }
        return .record(CSVRecord(line: line, fields: fields))
    }

    private mutating func readHeader(_ bytes: UnsafeBufferPointer<UInt8>) throws(TabularError) -> [String] {
        let line = scanner.recordLine
        guard scanner.fieldCount <= limits.maxColumns else {
            let reason = "the header has \(MessageText.grouped(scanner.fieldCount)) columns; the limit is \(MessageText.grouped(limits.maxColumns))"
            throw TabularError(.tooManyColumns, line: line, reason: reason)
        }
        if let problem = scanner.problem {
            var reason = Self.describe(problem.code)
            if problem.code == .bareCarriageReturn { reason += "; lines must end with CRLF or LF (CR-only line ends are not supported)" }
            throw scanner.makeError(problem.code, line: line, fieldIndex: problem.fieldIndex, reason)
        }
        var names: [String] = []
        for (index, span) in scanner.spans.enumerated() {
            guard let name = decode(span, in: bytes) else {
                throw scanner.makeError(.invalidUTF8, line: line, fieldIndex: index, "the column name is not valid UTF-8 text")
            }
            names.append(name)
        }
        do {
            let validated = try HeaderValidation.validate(names, maxNameLength: limits.maxColumnNameLength)
            header = validated
            scanner.columnNames = validated
            scanner.storedFieldLimit = validated.count
            return validated
        } catch {
            throw error.located(line: line, column: nil)
        }
    }

    /// The field's text with `""` collapsed to `"`, or `nil` when it is not valid UTF-8.
    mutating func decode(_ span: CSVScanner.FieldSpan, in bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let raw = UnsafeBufferPointer(rebasing: bytes[span.start..<span.end])
        guard span.hasEscapedQuotes else { return UTF8Text.validatedString(raw) }
        unescaped.removeAll(keepingCapacity: true)
        var index = 0
        while index < raw.count {
            let byte = raw[index]
            unescaped.append(byte)
            index += byte == CSVScanner.quote ? 2 : 1
        }
        return unescaped.withUnsafeBufferPointer { UTF8Text.validatedString($0) }
    }

    private static func describe(_ code: TabularError.Code) -> String {
        switch code {
        case .strayQuote: "a quote appears inside an unquoted field; quote the whole field and double the quote (\"\")"
        case .textAfterClosingQuote: "text follows the closing quote; a quoted field must end at a comma or line end"
        default: "a carriage return is not followed by a line feed"
        }
    }
}

/// One thing a ``CSVReader`` found in its input.
public enum CSVEvent: Sendable, Hashable {
    /// The header's column names (always the first event), trimmed and validated.
    case header([String])
    /// A well-formed record with as many fields as the header.
    case record(CSVRecord)
    /// A record that cannot be used (ragged, bad quoting, invalid UTF-8); the error names its line and, where known,
    /// its column. Skip it or reject the file; the reader goes on with the next record either way.
    case malformed(TabularError)
}
