/// An incremental JSON-lines reader: feed it byte chunks of any size, split anywhere, and pull one event per line.
///
/// Same protocol as ``CSVReader``: `feed(_:)`, drain `next()` until `nil`, and at the end `finish()` then drain again.
///
/// - Each non-blank line must hold exactly one JSON object whose values are strings, numbers, bools or null
///   (RFC 8259, strict: no comments, no trailing commas, no NaN). Blank lines (spaces and tabs only) are skipped.
///   Lines end with `\n` or `\r\n`; a UTF-8 byte-order mark at the very start is skipped.
/// - Keys may differ between lines; an absent key is a missing value (see ``JSONLinesRecord/values(for:ignoringUnknownKeys:)``).
/// - Row problems come out as ``JSONLinesEvent/malformed(_:)`` naming the line and, where there is one, the key:
///   invalid JSON, a nested object or array, a duplicate key, an empty key, invalid UTF-8, more keys than
///   ``ReaderLimits/maxColumns`` or a string over ``ReaderLimits/maxFieldBytes``.
/// - A line over ``ReaderLimits/maxRecordBytes`` is fatal: it is thrown as soon as the limit is passed, before the
///   rest of the line is buffered, and every later call throws it again.
///
/// The parser is a small strict one of our own rather than Foundation's `JSONSerialization`: it reads the buffer in
/// place without bridging to `NSDictionary`/`NSNumber`, refuses duplicate keys (which `JSONSerialization` silently
/// collapses), keeps numbers exactly as written, and names the key in every value error.
public struct JSONLinesReader: Sendable {
    /// The limits this reader enforces.
    public let limits: ReaderLimits

    private var buffer: [UInt8] = []
    private var lineStart = 0
    private var searchIndex = 0
    private var line = 1
    private var isEndOfInput = false
    private var hasCheckedByteOrderMark = false
    private var failure: TabularError?
    private var scratch: [UInt8] = []
    private var previousKeys: [String] = []

    /// Creates a reader that enforces `limits` (by default 1,000 keys per object, 1 MiB strings, 16 MiB lines).
    public init(limits: ReaderLimits = ReaderLimits()) {
        self.limits = limits
    }

    /// The number of input bytes the reader holds right now (the unfinished line plus the last chunk).
    public var bufferedByteCount: Int { buffer.count }

    /// Adds the next chunk of input. Call ``next()`` until it returns `nil` before feeding more.
    /// - Throws: the reader's fatal error if it has failed, or ``TabularError/Code/readerMisuse`` after ``finish()``.
    public mutating func feed(_ chunk: some Sequence<UInt8>) throws(TabularError) {
        if let failure { throw failure }
        guard !isEndOfInput else { throw TabularError(.readerMisuse, reason: "input was fed to a JSON-lines reader after finish()") }
        if lineStart > 0 {
            buffer.removeSubrange(0..<lineStart)
            searchIndex -= lineStart
            lineStart = 0
        }
        buffer.append(contentsOf: chunk)
    }

    /// Marks the end of input; keep calling ``next()`` to read the last line, which may lack a line end.
    public mutating func finish() {
        isEndOfInput = true
    }

    /// The next event, or `nil` when the fed input holds no further complete line (feed more, or it has ended).
    /// - Throws: ``TabularError/Code/recordTooLong`` (fatal) for a line over the limit.
    public mutating func next() throws(TabularError) -> JSONLinesEvent? {
        if let failure { throw failure }
        do {
            return try readEvent()
        } catch {
            failure = error
            throw error
        }
    }

    private mutating func readEvent() throws(TabularError) -> JSONLinesEvent? {
        if !hasCheckedByteOrderMark {
            let mark: [UInt8] = [0xEF, 0xBB, 0xBF]
            if buffer.count < mark.count && !isEndOfInput && buffer.elementsEqual(mark.prefix(buffer.count)) { return nil }
            hasCheckedByteOrderMark = true
            if buffer.starts(with: mark) {
                lineStart = mark.count
                searchIndex = mark.count
            }
        }
        let bytes = buffer
        return try bytes.withUnsafeBufferPointer { (bytes) throws(TabularError) in
            while true {
                guard let (end, next) = try nextLine(in: bytes) else { return nil }
                let lineNumber = line
                let content = UnsafeBufferPointer(rebasing: bytes[lineStart..<end])
                lineStart = next
                searchIndex = next
                line += 1
                if content.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                return parse(content, line: lineNumber)
            }
        }
    }

    /// The end of the next line's content (without `\r\n` or `\n`) and where the line after it starts.
    private mutating func nextLine(in bytes: UnsafeBufferPointer<UInt8>) throws(TabularError) -> (end: Int, next: Int)? {
        var index = searchIndex
        while index < bytes.count && bytes[index] != 0x0A { index += 1 }
        if index - lineStart > limits.maxRecordBytes {
            let reason = "the line is longer than the limit of \(MessageText.bytes(limits.maxRecordBytes))"
            throw TabularError(.recordTooLong, line: line, reason: reason)
        }
        guard index < bytes.count else {
            searchIndex = index
            return isEndOfInput && lineStart < index ? (index, index) : nil
        }
        let end = index > lineStart && bytes[index - 1] == 0x0D ? index - 1 : index
        return (end, index + 1)
    }

    private mutating func parse(_ content: UnsafeBufferPointer<UInt8>, line: Int) -> JSONLinesEvent {
        var parser = JSONLineParser(bytes: content, limits: limits, scratch: scratch, previousKeys: previousKeys)
        scratch = []
        defer { scratch = parser.scratch }
        do {
            let fields = try parser.parseObject()
            if fields.count != previousKeys.count || !zip(fields, previousKeys).allSatisfy({ $0.key == $1 }) {
                previousKeys = fields.map(\.key)
            }
            return .record(JSONLinesRecord(line: line, fields: fields))
        } catch {
            return .malformed(TabularError(error.code, line: line, column: error.key, reason: error.reason))
        }
    }
}

/// One thing a ``JSONLinesReader`` found in its input.
public enum JSONLinesEvent: Sendable, Hashable {
    /// A well-formed object.
    case record(JSONLinesRecord)
    /// A line that cannot be used; the error names its line and, where there is one, its key. Skip it or reject the
    /// file; the reader goes on with the next line either way.
    case malformed(TabularError)
}
