public import Foundation

/// A Swift value that can be bound to a statement parameter, sent in Postgres text format.
///
/// Conforming: `String`, `Int`, `Int32`, `Int64`, `Int16`, `UInt8`, `Bool`, `Double`, `Decimal`, `UUID`, `Date`
/// (as `timestamptz`, microsecond precision), `Data` and `[UInt8]` (as `bytea`), ``PostgresJSON`` (as `jsonb`),
/// arrays of the scalar types, and `Optional` of any of them (nil binds NULL).
public protocol PostgresEncodable {
    /// The type the value is declared as; ``PostgresDataType/unspecified`` lets the server infer it.
    static var postgresDataType: PostgresDataType { get }
    /// The value in Postgres text input format, or nil for SQL NULL.
    var postgresText: String? { get }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    /// The wrapped type's.
    public static var postgresDataType: PostgresDataType { Wrapped.postgresDataType }
    /// The wrapped value's text, or nil (NULL).
    public var postgresText: String? { self?.postgresText }
}

extension String: PostgresEncodable {
    /// Unspecified: the server infers `text`, `uuid`, `date`, … from the statement.
    public static var postgresDataType: PostgresDataType { .unspecified }
    /// The string itself.
    public var postgresText: String? { self }
}

extension Int: PostgresEncodable {
    /// `bigint`.
    public static var postgresDataType: PostgresDataType { .int8 }
    /// Decimal digits.
    public var postgresText: String? { String(self) }
}

extension Int64: PostgresEncodable {
    /// `bigint`.
    public static var postgresDataType: PostgresDataType { .int8 }
    /// Decimal digits.
    public var postgresText: String? { String(self) }
}

extension Int32: PostgresEncodable {
    /// `integer`.
    public static var postgresDataType: PostgresDataType { .int4 }
    /// Decimal digits.
    public var postgresText: String? { String(self) }
}

extension Int16: PostgresEncodable {
    /// `smallint`.
    public static var postgresDataType: PostgresDataType { .int2 }
    /// Decimal digits.
    public var postgresText: String? { String(self) }
}

extension UInt8: PostgresEncodable {
    /// `smallint` (an array of `UInt8` is `bytea`, not `smallint[]`).
    public static var postgresDataType: PostgresDataType { .int2 }
    /// Decimal digits.
    public var postgresText: String? { String(self) }
}

extension Bool: PostgresEncodable {
    /// `boolean`.
    public static var postgresDataType: PostgresDataType { .bool }
    /// `true` or `false`.
    public var postgresText: String? { self ? "true" : "false" }
}

extension Double: PostgresEncodable {
    /// `double precision`.
    public static var postgresDataType: PostgresDataType { .float8 }
    /// Shortest round-tripping digits, or `Infinity`, `-Infinity`, `NaN`.
    public var postgresText: String? {
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return description
    }
}

extension Decimal: PostgresEncodable {
    /// `numeric`.
    public static var postgresDataType: PostgresDataType { .numeric }
    /// Plain decimal notation, or `NaN`.
    public var postgresText: String? { isNaN ? "NaN" : description }
}

extension UUID: PostgresEncodable {
    /// `uuid`.
    public static var postgresDataType: PostgresDataType { .uuid }
    /// Lower-case hyphenated form.
    public var postgresText: String? { uuidString.lowercased() }
}

extension Date: PostgresEncodable {
    /// `timestamptz`.
    public static var postgresDataType: PostgresDataType { .timestamptz }
    /// ISO 8601 in UTC with microseconds, rounded to the nearest microsecond (Postgres' precision).
    public var postgresText: String? { PostgresTimestamp.format(self) }
}

extension Data: PostgresEncodable {
    /// `bytea`.
    public static var postgresDataType: PostgresDataType { .bytea }
    /// Hex format (`\x…`).
    public var postgresText: String? { PostgresBytea.format(self) }
}

/// A scalar type that can also be bound and decoded as a one-dimensional Postgres array.
public protocol PostgresArrayElement: PostgresEncodable, PostgresDecodable {
    /// The array type, for example ``PostgresDataType/textArray`` for `String`.
    static var postgresArrayDataType: PostgresDataType { get }
}

extension String: PostgresArrayElement {
    /// `text[]`.
    public static var postgresArrayDataType: PostgresDataType { .textArray }
}

extension Int: PostgresArrayElement {
    /// `bigint[]`.
    public static var postgresArrayDataType: PostgresDataType { .int8Array }
}

extension Int64: PostgresArrayElement {
    /// `bigint[]`.
    public static var postgresArrayDataType: PostgresDataType { .int8Array }
}

extension Int32: PostgresArrayElement {
    /// `integer[]`.
    public static var postgresArrayDataType: PostgresDataType { .int4Array }
}

extension Int16: PostgresArrayElement {
    /// `smallint[]`.
    public static var postgresArrayDataType: PostgresDataType { .int2Array }
}

extension UInt8: PostgresArrayElement {
    /// `bytea`: `[UInt8]` is binary data, not an array of numbers.
    public static var postgresArrayDataType: PostgresDataType { .bytea }
}

extension Bool: PostgresArrayElement {
    /// `boolean[]`.
    public static var postgresArrayDataType: PostgresDataType { .boolArray }
}

extension Double: PostgresArrayElement {
    /// `double precision[]`.
    public static var postgresArrayDataType: PostgresDataType { .float8Array }
}

extension UUID: PostgresArrayElement {
    /// `uuid[]`.
    public static var postgresArrayDataType: PostgresDataType { .uuidArray }
}

extension Date: PostgresArrayElement {
    /// `timestamptz[]`.
    public static var postgresArrayDataType: PostgresDataType { .timestamptzArray }
}

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    /// The element's array type; `bytea` for `[UInt8]`.
    public static var postgresDataType: PostgresDataType { Element.postgresArrayDataType }
    /// An array literal (`{"a","b"}`), or hex `bytea` for `[UInt8]`.
    public var postgresText: String? {
        if Element.self == UInt8.self, let bytes = self as? [UInt8] { return PostgresBytea.format(bytes) }
        return PostgresArrayText.format(map { $0.postgresText })
    }
}
