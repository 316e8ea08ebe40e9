public import Foundation

/// The column names and types of one result, shared by all its rows.
final class PostgresColumns: Sendable {
    /// Column names in result order.
    let names: [String]
    /// Column types in result order.
    let types: [PostgresDataType]
    /// The first index of each name.
    let indexByName: [String: Int]

    init(names: [String], types: [PostgresDataType]) {
        self.names = names
        self.types = types
        var indexByName: [String: Int] = [:]
        for (index, name) in names.enumerated() where indexByName[name] == nil {
            indexByName[name] = index
        }
        self.indexByName = indexByName
    }
}

/// One row of a query result, copied out of libpq (it stays valid after the connection is released).
///
/// ```swift
/// let id = try row["id", as: UUID.self]
/// let note = try row["note", as: String?.self]       // NULL → nil
/// let (name, count) = try row.decode(String.self, Int.self)  // columns 0 and 1
/// ```
public struct PostgresRow: Sendable {
    let columns: PostgresColumns
    /// Text-format values; nil is NULL.
    let values: [String?]

    /// The column names, in order.
    public var columnNames: [String] { columns.names }

    /// The number of columns.
    public var count: Int { values.count }

    /// Decodes the column named `column`.
    /// - Throws: ``PostgresError`` (``PostgresError/Code/columnNotFound``, ``PostgresError/Code/unexpectedNull``,
    ///   ``PostgresError/Code/decodingFailed``).
    public subscript<Value: PostgresDecodable>(column: String, as type: Value.Type) -> Value {
        get throws { try decode(type, column: column) }
    }

    /// Decodes the column at `index` (0-based).
    public subscript<Value: PostgresDecodable>(index: Int, as type: Value.Type) -> Value {
        get throws { try decode(type, at: index) }
    }

    /// Decodes the column named `column`; the first one wins when names repeat.
    public func decode<Value: PostgresDecodable>(_ type: Value.Type, column: String) throws -> Value {
        guard let index = columns.indexByName[column] else {
            throw PostgresError(.columnNotFound, "the query result has no column '\(column)'")
        }
        return try decode(type, at: index)
    }

    /// Decodes the column at `index` (0-based).
    public func decode<Value: PostgresDecodable>(_ type: Value.Type, at index: Int) throws -> Value {
        guard values.indices.contains(index) else {
            throw PostgresError(.columnNotFound, "the query result has no column number \(index) (it has \(values.count))")
        }
        let name = columns.names[index]
        guard let text = values[index] else {
            guard let null = Value.postgresNullValue else {
                throw PostgresError(.unexpectedNull, "column '\(name)' is NULL but \(Value.self) cannot be NULL; decode it as an optional")
            }
            return null
        }
        do {
            return try Value(postgresText: text, type: columns.types[index])
        } catch {
            throw PostgresError(
                .decodingFailed,
                "column '\(name)' (\(columns.types[index])) could not be read as \(Value.self)",
                detail: "\(error)"
            )
        }
    }

    /// Decodes the first columns in order: `let (id, name) = try row.decode(UUID.self, String.self)`.
    public func decode<each Value: PostgresDecodable>(_ types: repeat (each Value).Type) throws -> (repeat each Value) {
        var index = 0
        func next<Column: PostgresDecodable>(_ type: Column.Type) throws -> Column {
            defer { index += 1 }
            return try decode(type, at: index)
        }
        return (repeat try next(each types))
    }

    /// Decodes a `json`/`jsonb` column into a `Decodable` type.
    /// - Parameters:
    ///   - type: the type to decode.
    ///   - column: the column name.
    ///   - decoder: the decoder; default a plain `JSONDecoder`.
    public func decodeJSON<Value: Decodable>(_ type: Value.Type, column: String, decoder: JSONDecoder = JSONDecoder()) throws -> Value {
        let json = try decode(PostgresJSON.self, column: column)
        do {
            return try json.decode(type, decoder: decoder)
        } catch {
            throw PostgresError(.decodingFailed, "column '\(column)' does not hold JSON for \(Value.self)", detail: "\(error)")
        }
    }

    /// True when the column named `column` is NULL.
    public func isNull(column: String) throws -> Bool {
        guard let index = columns.indexByName[column] else {
            throw PostgresError(.columnNotFound, "the query result has no column '\(column)'")
        }
        return values[index] == nil
    }
}
