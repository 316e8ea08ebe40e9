public import Foundation

/// A Swift type that can be read from a result column in Postgres text format.
///
/// Conforming: the same types as ``PostgresEncodable``. `String` reads any column's text; `Date` reads
/// `timestamptz`, `timestamp` (taken as UTC) and `date` (midnight UTC); `Optional` turns NULL into nil, and
/// every other type throws ``PostgresError/Code/unexpectedNull`` for NULL.
public protocol PostgresDecodable {
    /// Decodes a non-NULL value from its text form.
    /// - Parameters:
    ///   - text: the column value in Postgres text output format.
    ///   - type: the column's type, for types that read more than one.
    init(postgresText text: String, type: PostgresDataType) throws

    /// The value for SQL NULL, or nil when the type cannot represent NULL (the default).
    static var postgresNullValue: Self? { get }
}

extension PostgresDecodable {
    /// Not representable: decoding NULL into this type throws.
    public static var postgresNullValue: Self? { nil }
}

/// The text did not have the expected form; the row decoder turns it into a ``PostgresError``.
struct InvalidPostgresText: Error, CustomStringConvertible {
    let expected: String
    var description: String { "not a valid \(expected)" }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    /// Decodes the wrapped type.
    public init(postgresText text: String, type: PostgresDataType) throws {
        self = .some(try Wrapped(postgresText: text, type: type))
    }

    /// NULL is nil.
    public static var postgresNullValue: Self? { .some(.none) }
}

extension String: PostgresDecodable {
    /// Any column's text.
    public init(postgresText text: String, type: PostgresDataType) throws { self = text }
}

extension Int: PostgresDecodable {
    /// `smallint`, `integer`, `bigint`, `oid`.
    public init(postgresText text: String, type: PostgresDataType) throws {
        guard let value = Int(text) else { throw InvalidPostgresText(expected: "integer") }
        self = value
    }
}

extension Int64: PostgresDecodable {
    /// `smallint`, `integer`, `bigint`, `oid`.
    public init(postgresText text: String, type: PostgresDataType) throws {
        guard let value = Int64(text) else { throw InvalidPostgresText(expected: "64-bit integer") }
        self = value
    }
}

extension Int32: PostgresDecodable {
    /// `smallint`, `integer`, or a `bigint` that fits.
    public init(postgresText text: String, type: PostgresDataType) throws {
        guard let value = Int32(text) else { throw InvalidPostgresText(expected: "32-bit integer") }
        self = value
    }
}

extension Int16: PostgresDecodable {
    /// `smallint`, or a wider integer that fits.
    public init(postgresText text: String, type: PostgresDataType) throws {
        guard let value = Int16(text) else { throw InvalidPostgresText(expected: "16-bit integer") }
        self = value
    }
}

extension UInt8: PostgresDecodable {
    /// An integer from 0 to 255.
    public init(postgresText text: String, type: PostgresDataType) throws {
        guard let value = UInt8(text) else { throw InvalidPostgresText(expected: "integer from 0 to 255") }
        self = value
    }
}

extension Bool: PostgresDecodable {
    /// `boolean` (`t`/`f`).
    public init(postgresText text: String, type: PostgresDataType) throws {
        switch text {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw InvalidPostgresText(expected: "boolean")
        }
    }
}

extension Double: PostgresDecodable {
    /// `double precision`, `real`, `numeric`, integers; `Infinity`, `-Infinity`, `NaN`.
    public init(postgresText text: String, type: PostgresDataType) throws {
        switch text {
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        case "NaN": self = .nan
        default:
            guard let value = Double(text) else { throw InvalidPostgresText(expected: "number") }
            self = value
        }
    }
}

extension Decimal: PostgresDecodable {
    /// `numeric` and integers (up to 38 significant digits), or `NaN`.
    public init(postgresText text: String, type: PostgresDataType) throws {
        if text == "NaN" {
            self = .nan
            return
        }
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")),
            text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "-" || $0 == "+" || $0 == "e" || $0 == "E") })
        else { throw InvalidPostgresText(expected: "decimal number") }
        self = value
    }
}

extension UUID: PostgresDecodable {
    /// `uuid`.
    public init(postgresText text: String, type: PostgresDataType) throws {
        guard let value = UUID(uuidString: text) else { throw InvalidPostgresText(expected: "UUID") }
        self = value
    }
}

extension Date: PostgresDecodable {
    /// `timestamptz`, `timestamp` (read as UTC), `date` (midnight UTC); `infinity` → `distantFuture`.
    public init(postgresText text: String, type: PostgresDataType) throws {
        guard let value = PostgresTimestamp.parse(text) else { throw InvalidPostgresText(expected: "timestamp") }
        self = value
    }
}

extension Data: PostgresDecodable {
    /// `bytea` in hex output format.
    public init(postgresText text: String, type: PostgresDataType) throws {
        guard let bytes = PostgresBytea.parse(text) else { throw InvalidPostgresText(expected: "bytea") }
        self = Data(bytes)
    }
}

extension Array: PostgresDecodable where Element: PostgresArrayElement {
    /// A one-dimensional array without NULL elements; for `[UInt8]`, `bytea`.
    public init(postgresText text: String, type: PostgresDataType) throws {
        if Element.self == UInt8.self {
            guard let bytes = PostgresBytea.parse(text), let typed = bytes as? [Element] else {
                throw InvalidPostgresText(expected: "bytea")
            }
            self = typed
            return
        }
        guard let elements = PostgresArrayText.parse(text) else { throw InvalidPostgresText(expected: "one-dimensional array") }
        self = try elements.map { element in
            guard let element else { throw InvalidPostgresText(expected: "array without NULL elements") }
            return try Element(postgresText: element, type: .unspecified)
        }
    }
}
