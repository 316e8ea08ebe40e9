import Foundation

/// One SQL statement and the values bound to its `$n` parameters.
///
/// Write queries as string literals: every interpolated value becomes a bound parameter, never SQL text.
///
/// ```swift
/// let rows = try await connection.query("SELECT id FROM regions WHERE country = \(country) AND status = \(status)")
/// // sent as: SELECT id FROM regions WHERE country = $1 AND status = $2, with two bound values
/// ```
///
/// Identifiers that cannot be parameters (database or role names in DDL) go through `\(identifier: name)`, which
/// double-quotes and escapes them. SQL assembled from strings at run time needs the explicit ``init(unsafeSQL:bindings:)``.
public struct PostgresQuery: Sendable, Hashable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// The statement text with `$1`, `$2`, … placeholders.
    public var sql: String
    /// The values for the placeholders, in order.
    public var bindings: PostgresBindings

    /// A statement from SQL text built at run time. Never put untrusted input into `sql`; bind it instead.
    /// - Parameters:
    ///   - sql: the statement; `$n` placeholders refer to `bindings`.
    ///   - bindings: the values for the placeholders; default none.
    public init(unsafeSQL sql: String, bindings: PostgresBindings = PostgresBindings()) {
        self.sql = sql
        self.bindings = bindings
    }

    /// A statement with no parameters, from a string literal.
    public init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    /// A statement from an interpolated literal; see ``StringInterpolation``.
    public init(stringInterpolation: StringInterpolation) {
        self.init(unsafeSQL: stringInterpolation.sql, bindings: stringInterpolation.bindings)
    }

    /// The SQL text and the number of bound values; never the values themselves.
    public var description: String {
        bindings.count == 0 ? sql : "\(sql) [\(bindings.count) bound value\(bindings.count == 1 ? "" : "s")]"
    }

    /// Builds a ``PostgresQuery`` from a literal: literal parts are SQL, interpolated values are bound parameters.
    public struct StringInterpolation: StringInterpolationProtocol {
        /// The SQL so far.
        var sql: String
        /// The values so far.
        var bindings = PostgresBindings()

        /// Reserves room for the literal.
        public init(literalCapacity: Int, interpolationCount: Int) {
            sql = ""
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
        }

        /// Appends literal SQL text.
        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        /// Binds `value` as the next `$n` parameter.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value) {
            bindings.append(value)
            sql += "$\(bindings.count)"
        }

        /// Binds `value` as the next `$n` parameter; nil binds NULL (declared with the wrapped type).
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            bindings.append(value)
            sql += "$\(bindings.count)"
        }

        /// Appends a double-quoted, escaped SQL identifier (a table, database or role name) that cannot be a parameter.
        public mutating func appendInterpolation(identifier: String) {
            sql += PostgresQuery.quoteIdentifier(identifier)
        }
    }

    /// `name` as a double-quoted SQL identifier, with embedded quotes doubled and NUL characters removed.
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\0", with: "").replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// The values bound to a statement's `$n` parameters, already encoded in Postgres text format.
public struct PostgresBindings: Sendable, Hashable {
    /// Text-format values; nil is SQL NULL.
    private(set) var values: [String?] = []
    /// The declared type of each value.
    private(set) var types: [PostgresDataType] = []

    /// No values.
    public init() {}

    /// The number of values.
    public var count: Int { values.count }

    /// Appends `value` as the next parameter.
    public mutating func append<Value: PostgresEncodable>(_ value: Value) {
        values.append(value.postgresText)
        types.append(Value.postgresDataType)
    }

    /// Appends SQL NULL with an unspecified type.
    public mutating func appendNull() {
        values.append(nil)
        types.append(.unspecified)
    }
}
