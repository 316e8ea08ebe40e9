/// Writes RFC 4180 CSV into an internal byte buffer that the caller drains with ``takeBytes()``, for streaming into a
/// blob store without holding the whole file.
///
/// Fields are quoted only when needed: when they contain a comma, a quote (doubled inside), a carriage return or a
/// line feed, and for the empty string, which is written `""` so that ``CSVReader`` reads it back as `""` while a
/// missing value (`nil`, ``TabularValue/null``) is written as nothing and read back as `nil`. One exception: in a
/// one-column file a missing value would make an empty line, which readers skip, so it is written `""` too.
public struct CSVWriter: Sendable {
    /// How records end.
    public enum LineEnding: Sendable, Hashable {
        /// `\r\n`, as RFC 4180 specifies (the default).
        case crlf
        /// `\n`.
        case lf
    }

    /// The header's column names, in order.
    public let header: [String]
    /// How records end; default ``LineEnding/crlf``.
    public let lineEnding: LineEnding
    private var buffer: [UInt8] = []

    /// Creates a writer and writes the header line.
    /// - Parameters:
    ///   - header: the column names; they must pass ``HeaderValidation/validate(_:maxNameLength:)`` unchanged
    ///     (non-empty, at most 128 characters, unique, no leading or trailing spaces).
    ///   - lineEnding: how records end; default `\r\n`.
    /// - Throws: ``TabularError/Code/invalidColumnName``.
    public init(header: [String], lineEnding: LineEnding = .crlf) throws(TabularError) {
        let validated = try HeaderValidation.validate(header)
        if let index = header.indices.first(where: { header[$0] != validated[$0] }) {
            throw TabularError(.invalidColumnName, reason: "the name of column \(index + 1), '\(header[index])', has leading or trailing spaces")
        }
        self.header = header
        self.lineEnding = lineEnding
        writeRecord(header.map { Optional($0) })
    }

    /// The number of bytes written and not yet taken.
    public var bufferedByteCount: Int { buffer.count }

    /// Writes one record of text fields: `nil` is a missing value, `""` an empty string.
    /// - Throws: ``TabularError/Code/raggedRow`` when the count differs from the header's.
    public mutating func write(_ fields: [String?]) throws(TabularError) {
        try checkCount(fields.count)
        writeRecord(fields)
    }

    /// Writes one record of typed values in their ``TabularValue/canonicalText``.
    /// - Throws: ``TabularError/Code/raggedRow`` when the count differs from the header's.
    public mutating func write(_ values: [TabularValue]) throws(TabularError) {
        try checkCount(values.count)
        // The same bytes as `write(values.map(\.canonicalText))`, without a String per value: numbers, bools and
        // timestamps never need quotes and are never empty, so they are formatted into a scratch area on the stack and
        // copied into the buffer in one piece per row (text goes through the quoting rules).
        let scratchSize = 1024
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: scratchSize) { scratch in
            var used = 0
            for (index, value) in values.enumerated() {
                if used > scratchSize - CanonicalBytes.maximumByteCount - 3 {
                    buffer.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[0..<used]))
                    used = 0
                }
                if index > 0 {
                    scratch[used] = UInt8(ascii: ",")
                    used += 1
                }
                switch value {
                case .string(let text):
                    buffer.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[0..<used]))
                    used = 0
                    appendField(text)
                case .null:
                    if values.count == 1 {
                        scratch[used] = 0x22
                        scratch[used + 1] = 0x22
                        used += 2
                    }
                default:
                    used = CanonicalBytes.write(value, to: scratch, at: used)
                }
            }
            if lineEnding == .crlf {
                scratch[used] = 0x0D
                used += 1
            }
            scratch[used] = 0x0A
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[0..<(used + 1)]))
        }
    }

    /// Returns everything written since the last call and empties the buffer (keeping its capacity).
    public mutating func takeBytes() -> [UInt8] {
        defer { buffer.removeAll(keepingCapacity: true) }
        return buffer
    }

    private func checkCount(_ count: Int) throws(TabularError) {
        guard count == header.count else {
            let columns = MessageText.counted(header.count, "column")
            throw TabularError(.raggedRow, reason: "a row of \(MessageText.counted(count, "value")) cannot be written under a header of \(columns)")
        }
    }

    private mutating func writeRecord(_ fields: [String?]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            guard let field else {
                if fields.count == 1 { appendQuotedEmpty() }
                continue
            }
            appendField(field)
        }
        appendLineEnding()
    }

    private mutating func appendLineEnding() {
        switch lineEnding {
        case .crlf:
            buffer.append(0x0D)
            buffer.append(0x0A)
        case .lf:
            buffer.append(0x0A)
        }
    }

    private mutating func appendQuotedEmpty() {
        buffer.append(0x22)
        buffer.append(0x22)
    }

    private mutating func appendField(_ field: String) {
        // Native strings are contiguous UTF-8: scan and copy them as one buffer.
        let isCopied = field.utf8.withContiguousStorageIfAvailable { bytes in
            guard !bytes.isEmpty, !bytes.contains(where: Self.needsQuotes) else { return false }
            buffer.append(contentsOf: bytes)
            return true
        }
        if isCopied == true { return }
        guard field.isEmpty || field.utf8.contains(where: Self.needsQuotes) else {
            buffer.append(contentsOf: field.utf8)
            return
        }
        buffer.append(0x22)
        for byte in field.utf8 {
            buffer.append(byte)
            if byte == 0x22 { buffer.append(0x22) }
        }
        buffer.append(0x22)
    }

    /// A comma, quote, carriage return or line feed: the field must be quoted.
    @inline(__always)
    private static func needsQuotes(_ byte: UInt8) -> Bool { byte == 0x2C || byte == 0x22 || byte == 0x0D || byte == 0x0A }
}
