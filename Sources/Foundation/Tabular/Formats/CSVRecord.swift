/// One well-formed CSV record: its fields as text and the line it starts on.
public struct CSVRecord: Sendable, Hashable {
    /// The 1-based physical line where the record starts (line breaks inside quoted fields advance the count).
    public let line: Int
    /// The fields in header order: `nil` for an unquoted empty field (a missing value), `""` for a quoted empty field
    /// (an empty string), otherwise the text with quoting removed.
    public let fields: [String?]

    /// Creates a record (readers make these; tests and writers may too).
    public init(line: Int, fields: [String?]) {
        self.line = line
        self.fields = fields
    }

    /// The number of fields.
    public var count: Int { fields.count }

    /// The field at `index` (`nil` when missing).
    public subscript(index: Int) -> String? { fields[index] }

    /// The fields converted to typed values for `columns` (the header's columns with their types, in order).
    ///
    /// Missing fields become ``TabularValue/null``; a quoted empty field is `.string("")` in string and category
    /// columns and missing in the others (see ``ValueParser/parse(csvField:as:)``).
    /// - Throws: ``TabularError`` with this record's line and the column's name when a field does not parse, or
    ///   ``TabularError/Code/raggedRow`` when `columns` and the record differ in length.
    public func values(for columns: [Column]) throws(TabularError) -> [TabularValue] {
        guard columns.count == fields.count else {
            throw TabularError(
                .raggedRow,
                line: line,
                reason: "the row has \(MessageText.counted(fields.count, "field")) but there are \(MessageText.counted(columns.count, "column"))"
            )
        }
        var values: [TabularValue] = []
        values.reserveCapacity(fields.count)
        for (field, column) in zip(fields, columns) {
            do {
                values.append(try ValueParser.parse(csvField: field, as: column.type))
            } catch {
                throw error.located(line: line, column: column.name)
            }
        }
        return values
    }
}
