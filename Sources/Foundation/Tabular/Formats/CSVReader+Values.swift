/// What ``CSVReader/nextValues(for:)`` found in its input.
public enum CSVValuesEvent: Sendable, Hashable {
    /// A well-formed record whose fields all convert: the line it starts on and one value per column.
    case record(line: Int, values: [TabularValue])
    /// A record that cannot be used: the error ``CSVReader/next()`` reports as ``CSVEvent/malformed(_:)``, or the one
    /// ``CSVRecord/values(for:)`` throws for a field that does not convert. The reader goes on with the next record.
    case rejected(TabularError)
}

extension CSVReader {
    /// The next record converted to typed values for `columns`, once the header has been read with ``next()``.
    ///
    /// The same outcome as ``next()`` followed by ``CSVRecord/values(for:)``, record for record and error for error,
    /// but faster: numbers, bools and timestamps are parsed straight from the input bytes, without a `String` per field
    /// or an array of fields. A record that does not convert on that path is read again the text way, which gives
    /// the error.
    /// - Parameter columns: the header's columns with their types, in order.
    /// - Returns: `nil` when the fed input holds no further complete record (feed more, or it has ended).
    /// - Throws: a fatal ``TabularError`` as ``next()`` does, or ``TabularError/Code/readerMisuse`` before the header.
    public mutating func nextValues(for columns: [Column]) throws(TabularError) -> CSVValuesEvent? {
        if let failure { throw failure }
        guard let header else {
            throw TabularError(.readerMisuse, reason: "nextValues(for:) was called before the CSV header was read with next()")
        }
        do {
            return try readValues(columns, headerCount: header.count)
        } catch {
            failure = error
            throw error
        }
    }

    private mutating func readValues(_ columns: [Column], headerCount: Int) throws(TabularError) -> CSVValuesEvent? {
        let bytes = buffer
        let outcome = try bytes.withUnsafeBufferPointer { (bytes) throws(TabularError) in
            try scanner.scan(bytes, isEndOfInput: isEndOfInput)
        }
        // `.needsInput`, or the end of the input (after a header, which has been read, that is not an error).
        guard case .record = outcome else { return nil }
        defer { scanner.beginNextRecord() }
        return try bytes.withUnsafeBufferPointer { (bytes) throws(TabularError) in
            if columns.count == headerCount, let values = fastValues(bytes, columns) {
                return .record(line: scanner.recordLine, values: values)
            }
            switch try makeEvent(bytes) {
            case .record(let record):
                do throws(TabularError) {
                    return .record(line: record.line, values: try record.values(for: columns))
                } catch {
                    return .rejected(error)
                }
            case .malformed(let error):
                return .rejected(error)
            case .header:
                preconditionFailure("the CSV header was read twice")
            }
        }
    }

    /// The current record's values when it is well-formed and every field converts, else `nil` (the text path then
    /// decides). Text fields are decoded (and validated) as ``next()`` decodes them; other fields are parsed from their
    /// raw bytes, which equal the decoded text whenever they parse: every parsable form is ASCII without quotes, so
    /// invalid UTF-8 and escaped quotes fail here and are reported by the text path.
    private mutating func fastValues(_ bytes: UnsafeBufferPointer<UInt8>, _ columns: [Column]) -> [TabularValue]? {
        guard scanner.problem == nil, scanner.fieldCount == columns.count, scanner.spans.count == columns.count else { return nil }
        var values: [TabularValue] = []
        values.reserveCapacity(columns.count)
        for index in 0..<columns.count {
            let span = scanner.spans[index]
            if !span.isQuoted && span.start == span.end {
                values.append(.null)
                continue
            }
            switch columns[index].type {
            case .string, .category:
                guard let text = decode(span, in: bytes) else { return nil }
                values.append(.string(text))
            case let type:
                let raw = UnsafeBufferPointer(rebasing: bytes[span.start..<span.end])
                guard case .success(let value) = ValueParser.parsePadded(ValueParser.trimmingPadding(raw), as: type) else { return nil }
                values.append(value)
            }
        }
        return values
    }
}
