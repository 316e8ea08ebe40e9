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
        writeRecord(values.map(\.canonicalText))
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
                if fields.count == 1 { buffer.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: "\"")]) }
                continue
            }
            appendField(field)
        }
        switch lineEnding {
        case .crlf: buffer.append(contentsOf: [0x0D, 0x0A])
        case .lf: buffer.append(0x0A)
        }
    }

    private mutating func appendField(_ field: String) {
        let needsQuotes = field.isEmpty || field.utf8.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0D || $0 == 0x0A }
        guard needsQuotes else {
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
}
