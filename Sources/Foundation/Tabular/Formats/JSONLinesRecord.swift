/// A JSON value that may stand in a JSON-lines record: nested objects and arrays are refused by the reader.
public enum JSONScalar: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, kept exactly as written (`12`, `-0.5`, `1e3`) so that the column type decides how to read it and
    /// 64-bit integers are never rounded through a Double.
    case number(String)
    /// A string, with escapes decoded.
    case string(String)
}

/// One key and its value in a ``JSONLinesRecord``.
public struct JSONField: Sendable, Hashable {
    /// The key as written (escapes decoded, no trimming).
    public var key: String
    /// The value.
    public var value: JSONScalar

    /// Creates a field.
    public init(key: String, value: JSONScalar) {
        self.key = key
        self.value = value
    }
}

/// One JSON object from a JSON-lines file: its fields in the order written (keys unique) and its line number.
public struct JSONLinesRecord: Sendable, Hashable {
    /// The 1-based line the object is on.
    public let line: Int
    /// The object's fields in the order they were written; no key appears twice.
    public let fields: [JSONField]

    /// Creates a record (readers make these; tests may too).
    public init(line: Int, fields: [JSONField]) {
        self.line = line
        self.fields = fields
    }

    /// The value for `key`, or `nil` when the object lacks the key (a JSON `null` is ``JSONScalar/null``).
    public subscript(key: String) -> JSONScalar? {
        fields.first(where: { $0.key == key })?.value
    }

    /// The record's values for `columns`, in their order: a missing key or `null` is ``TabularValue/null``, other values
    /// follow the JSON rules of ``ValueParser``.
    /// - Parameters:
    ///   - columns: the table's columns.
    ///   - ignoringUnknownKeys: when false (the default), a key that names none of `columns` is an error, so that data
    ///     is never dropped silently; when true such keys are skipped.
    /// - Throws: ``TabularError`` with the record's line and the key: ``TabularError/Code/invalidValue`` or
    ///   ``TabularError/Code/unknownColumn``.
    public func values(for columns: [Column], ignoringUnknownKeys: Bool = false) throws(TabularError) -> [TabularValue] {
        var values: [TabularValue] = []
        values.reserveCapacity(columns.count)
        var matchedCount = 0
        for (position, column) in columns.enumerated() {
            // Objects usually repeat the same key order, so look at the same position first.
            let field =
                position < fields.count && fields[position].key == column.name
                ? fields[position] : fields.first(where: { $0.key == column.name })
            guard let field else {
                values.append(.null)
                continue
            }
            matchedCount += 1
            do {
                values.append(try ValueParser.parse(field.value, as: column.type))
            } catch {
                throw error.located(line: line, column: column.name)
            }
        }
        if matchedCount < fields.count && !ignoringUnknownKeys {
            let names = Set(columns.map(\.name))
            let unknown = fields.map(\.key).filter { !names.contains($0) }.map { "'\($0)'" }
            let reason = "the object has \(unknown.count == 1 ? "a key" : "keys") the table does not: \(unknown.joined(separator: ", "))"
            throw TabularError(.unknownColumn, line: line, reason: reason)
        }
        return values
    }
}
