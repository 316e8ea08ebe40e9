/// The byte-level RFC 4180 state machine behind ``CSVReader``.
///
/// It finds the fields of one record at a time as byte offsets into the reader's buffer and keeps its position between
/// calls, so a record split across fed chunks is never rescanned from its start. It never copies bytes; the reader
/// turns the spans into strings once a record is complete.
struct CSVScanner: Sendable {
    /// Where the scanner stands inside the current field.
    enum State: Sendable { case fieldStart, unquoted, quoted, quoteInQuoted }

    /// What a call to ``scan(_:isEndOfInput:)`` found.
    enum Outcome: Sendable { case record, needsInput, endOfInput }

    /// One field of the current record: `start..<end` in the buffer, without enclosing quotes.
    struct FieldSpan: Sendable {
        var start: Int
        var end: Int
        var isQuoted: Bool
        var hasEscapedQuotes: Bool
    }

    /// The first syntax problem in the current record (the row is reported, the file goes on).
    struct SyntaxProblem: Sendable {
        var code: TabularError.Code
        var fieldIndex: Int
    }

    static let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lineFeed = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")

    let limits: ReaderLimits
    /// Header names once known; used to name columns in errors.
    var columnNames: [String] = []
    /// Spans beyond this many fields are counted but not stored (a ragged row needs only its count).
    var storedFieldLimit: Int
    private(set) var spans: [FieldSpan] = []
    private(set) var fieldCount = 0
    private(set) var recordStart = 0
    private(set) var recordLine = 1
    private(set) var problem: SyntaxProblem?
    private var scanIndex = 0
    private var line = 1
    private var state = State.fieldStart
    private var fieldStart = 0
    private var isFieldQuoted = false
    private var hasFieldEscapedQuotes = false
    private var quoteLine = 1

    init(limits: ReaderLimits) {
        self.limits = limits
        storedFieldLimit = limits.maxColumns
    }

    /// Scans on from where the last call stopped. On `.record` the record's spans are ready until ``beginNextRecord()``.
    mutating func scan(_ bytes: UnsafeBufferPointer<UInt8>, isEndOfInput: Bool) throws(TabularError) -> Outcome {
        let end = bytes.count
        var i = scanIndex
        defer { scanIndex = i }
        scanning: while true {
            switch state {
            case .fieldStart:
                guard i < end else {
                    if !isEndOfInput {
                        try checkPartialRecord(bufferEnd: end)
                        return .needsInput
                    }
                    if fieldCount == 0 { return .endOfInput }
                    beginField(at: i, isQuoted: false)
                    try endField(end: i)
                    return try completeRecord(at: i, lineEnded: false)
                }
                let byte = bytes[i]
                if byte == Self.quote {
                    beginField(at: i + 1, isQuoted: true)
                    quoteLine = line
                    state = .quoted
                    i += 1
                    continue scanning
                }
                if fieldCount == 0 && (byte == Self.lineFeed || byte == Self.carriageReturn) {
                    // An empty line between records: skip it, keep counting lines.
                    if byte == Self.lineFeed {
                        i += 1
                    } else if i + 1 < end {
                        i += bytes[i + 1] == Self.lineFeed ? 2 : 0
                    } else if isEndOfInput {
                        i += 1
                    } else {
                        return .needsInput
                    }
                    if i > recordStart {
                        line += 1
                        recordStart = i
                        recordLine = line
                        continue scanning
                    }
                }
                beginField(at: i, isQuoted: false)
                state = .unquoted
            case .unquoted:
                while i < end {
                    let byte = bytes[i]
                    if byte > Self.quote && byte != Self.comma {
                        i += 1
                        continue
                    }
                    if byte == Self.comma {
                        try endField(end: i)
                        i += 1
                        state = .fieldStart
                        continue scanning
                    }
                    if byte == Self.lineFeed {
                        try endField(end: i)
                        i += 1
                        return try completeRecord(at: i, lineEnded: true)
                    }
                    if byte == Self.carriageReturn {
                        if i + 1 == end && !isEndOfInput { break }
                        if i + 1 == end || bytes[i + 1] == Self.lineFeed {
                            try endField(end: i)
                            i += min(2, end - i)
                            return try completeRecord(at: i, lineEnded: true)
                        }
                        noteProblem(.bareCarriageReturn)
                    } else if byte == Self.quote {
                        noteProblem(.strayQuote)
                    }
                    i += 1
                }
                if !isEndOfInput {
                    try checkPartialRecord(bufferEnd: end)
                    return .needsInput
                }
                try endField(end: i)
                return try completeRecord(at: i, lineEnded: false)
            case .quoted:
                while i < end {
                    let byte = bytes[i]
                    if byte == Self.quote { break }
                    if byte == Self.lineFeed { line += 1 }
                    i += 1
                }
                guard i < end else {
                    if isEndOfInput { throw makeError(.unterminatedQuote, line: quoteLine, "the quoted field starting here is never closed") }
                    try checkPartialRecord(bufferEnd: end)
                    return .needsInput
                }
                i += 1
                state = .quoteInQuoted
            case .quoteInQuoted:
                guard i < end else {
                    if !isEndOfInput {
                        try checkPartialRecord(bufferEnd: end)
                        return .needsInput
                    }
                    try endField(end: i - 1)
                    return try completeRecord(at: i, lineEnded: false)
                }
                let byte = bytes[i]
                if byte == Self.quote {
                    hasFieldEscapedQuotes = true
                    state = .quoted
                    i += 1
                } else if byte == Self.comma {
                    try endField(end: i - 1)
                    i += 1
                    state = .fieldStart
                } else if byte == Self.lineFeed {
                    try endField(end: i - 1)
                    i += 1
                    return try completeRecord(at: i, lineEnded: true)
                } else if byte == Self.carriageReturn && i + 1 == end && !isEndOfInput {
                    return .needsInput
                } else if byte == Self.carriageReturn && (i + 1 == end || bytes[i + 1] == Self.lineFeed) {
                    try endField(end: i - 1)
                    i += min(2, end - i)
                    return try completeRecord(at: i, lineEnded: true)
                } else {
                    noteProblem(.textAfterClosingQuote)
                    state = .unquoted
                }
            }
        }
    }

    /// Forgets the record just returned; the next scan starts a new one where that one ended.
    mutating func beginNextRecord() {
        recordStart = scanIndex
        recordLine = line
        spans.removeAll(keepingCapacity: true)
        fieldCount = 0
        problem = nil
        state = .fieldStart
    }

    /// Moves every offset down after the reader dropped `count` consumed bytes from the front of its buffer.
    mutating func shift(by count: Int) {
        recordStart -= count
        scanIndex -= count
        fieldStart -= count
        for index in spans.indices {
            spans[index].start -= count
            spans[index].end -= count
        }
    }

    /// Starts scanning at `offset` (after a byte-order mark), before any record has been read.
    mutating func skipPrefix(_ offset: Int) {
        scanIndex = offset
        recordStart = offset
    }

    /// An error located at `line` and the current field's column (or its position when no header name exists).
    func makeError(_ code: TabularError.Code, line: Int, fieldIndex: Int? = nil, _ reason: String) -> TabularError {
        let index = fieldIndex ?? fieldCount
        if index < columnNames.count { return TabularError(code, line: line, column: columnNames[index], reason: reason) }
        let place = columnNames.isEmpty ? "header field \(index + 1)" : "field \(index + 1) (the header has \(columnNames.count) columns)"
        return TabularError(code, line: line, reason: "\(place): \(reason)")
    }

    private mutating func beginField(at offset: Int, isQuoted: Bool) {
        fieldStart = offset
        isFieldQuoted = isQuoted
        hasFieldEscapedQuotes = false
    }

    private mutating func endField(end: Int) throws(TabularError) {
        if end - fieldStart > limits.maxFieldBytes { throw fieldTooLongError() }
        if fieldCount < storedFieldLimit {
            spans.append(FieldSpan(start: fieldStart, end: end, isQuoted: isFieldQuoted, hasEscapedQuotes: hasFieldEscapedQuotes))
        }
        fieldCount += 1
    }

    private mutating func completeRecord(at offset: Int, lineEnded: Bool) throws(TabularError) -> Outcome {
        if offset - recordStart > limits.maxRecordBytes { throw recordTooLongError() }
        if lineEnded { line += 1 }
        state = .fieldStart
        return .record
    }

    private mutating func noteProblem(_ code: TabularError.Code) {
        if problem == nil { problem = SyntaxProblem(code: code, fieldIndex: fieldCount) }
    }

    /// Refuses a partial record or field that has already outgrown its limit, so the buffer stays bounded.
    private func checkPartialRecord(bufferEnd: Int) throws(TabularError) {
        if bufferEnd - recordStart > limits.maxRecordBytes { throw recordTooLongError() }
        let closingQuote = state == .quoteInQuoted ? 1 : 0
        if state != .fieldStart && bufferEnd - fieldStart - closingQuote > limits.maxFieldBytes { throw fieldTooLongError() }
    }

    private func fieldTooLongError() -> TabularError {
        makeError(.fieldTooLong, line: recordLine, "the field is longer than the limit of \(MessageText.bytes(limits.maxFieldBytes))")
    }

    private func recordTooLongError() -> TabularError {
        let reason = "the record is longer than the limit of \(MessageText.bytes(limits.maxRecordBytes))"
        return TabularError(.recordTooLong, line: recordLine, reason: reason + (state == .quoted ? " (is a quote left open?)" : ""))
    }
}
