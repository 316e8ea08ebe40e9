/// Column types a user states explicitly, overriding inference: parsed from text such as
/// `age:int,plan:category,signup:timestamp`.
///
/// Syntax: entries separated by commas, each `name:type`. Spaces around names, types and entries are ignored; the type
/// is one of ``ColumnType``'s raw values in any letter case. The name is everything before the last colon, so names
/// may contain colons but not commas. Empty text means no overrides.
public struct SchemaOverrides: Sendable, Hashable {
    /// The overriding columns, in the order written.
    public let columns: [Column]

    /// Parses overrides from text.
    /// - Throws: ``TabularError/Code/invalidSchema`` for an entry without a colon, an empty name, an unknown type (the
    ///   message lists the valid ones) or a column named twice.
    public init(parsing text: String) throws(TabularError) {
        var columns: [Column] = []
        let entries = text.split(separator: ",", omittingEmptySubsequences: false)
        if entries.count == 1 && HeaderValidation.trimmed(String(entries[0])).isEmpty {
            self.columns = []
            return
        }
        for (offset, entry) in entries.enumerated() {
            let position = offset + 1
            guard let colon = entry.lastIndex(of: ":") else {
                let written = HeaderValidation.trimmed(String(entry))
                let reason =
                    written.isEmpty
                    ? "entry \(position) of the schema is empty; write name:type entries separated by commas"
                    : "entry \(position) of the schema, '\(written)', has no type; write it as name:type"
                throw TabularError(.invalidSchema, reason: reason)
            }
            let name = HeaderValidation.trimmed(String(entry[..<colon]))
            let typeName = HeaderValidation.trimmed(String(entry[entry.index(after: colon)...]))
            guard !name.isEmpty else {
                throw TabularError(
                    .invalidSchema,
                    reason: "entry \(position) of the schema, '\(HeaderValidation.trimmed(String(entry)))', has an empty column name"
                )
            }
            guard let type = ColumnType(rawValue: typeName.lowercased()) else {
                let valid = ColumnType.allCases.map(\.rawValue).joined(separator: ", ")
                let written = typeName.isEmpty ? "no type" : "the unknown type '\(typeName)'"
                throw TabularError(.invalidSchema, reason: "column '\(name)' has \(written) in the schema; valid types are \(valid)")
            }
            guard !columns.contains(where: { $0.name == name }) else {
                throw TabularError(.invalidSchema, reason: "the schema names column '\(name)' more than once")
            }
            columns.append(Column(name: name, type: type))
        }
        self.columns = columns
    }

    /// Overrides given as columns (for API callers that already hold them).
    /// - Throws: ``TabularError/Code/invalidSchema`` when a name is empty or repeated.
    public init(columns: [Column]) throws(TabularError) {
        var seen: Set<String> = []
        for column in columns {
            guard !column.name.isEmpty else { throw TabularError(.invalidSchema, reason: "a schema column has an empty name") }
            guard seen.insert(column.name).inserted else {
                throw TabularError(.invalidSchema, reason: "the schema names column '\(column.name)' more than once")
            }
        }
        self.columns = columns
    }

    /// `columns` (a file's header with inferred or default types) with the overridden types put in.
    /// - Throws: ``TabularError/Code/unknownColumn`` listing every overridden name the file lacks, and the file's
    ///   columns so the user can fix the spelling.
    public func applied(to fileColumns: [Column]) throws(TabularError) -> [Column] {
        var types: [String: ColumnType] = [:]
        for column in columns { types[column.name] = column.type }
        let known = Set(fileColumns.map(\.name))
        let unknown = columns.map(\.name).filter { !known.contains($0) }
        guard unknown.isEmpty else {
            let names = unknown.map { "'\($0)'" }.joined(separator: ", ")
            let available = fileColumns.prefix(20).map { "'\($0.name)'" }.joined(separator: ", ") + (fileColumns.count > 20 ? ", …" : "")
            let subject = unknown.count == 1 ? "a column the file lacks" : "columns the file lacks"
            throw TabularError(.unknownColumn, reason: "the schema names \(subject): \(names); the file's columns are \(available)")
        }
        return fileColumns.map { Column(name: $0.name, type: types[$0.name] ?? $0.type) }
    }

    /// The overrides written back as text in the syntax ``init(parsing:)`` reads.
    public var text: String {
        columns.map { "\($0.name):\($0.type.rawValue)" }.joined(separator: ",")
    }
}
