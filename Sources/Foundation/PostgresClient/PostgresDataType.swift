/// A Postgres type, identified by its OID (`pg_type.oid`).
///
/// Bound values carry one so the server knows what they are; ``unspecified`` (OID 0) lets the server infer
/// the type from the statement, which is what plain strings use so that a `String` can fill a `uuid` or
/// `date` parameter. Result columns report theirs so decoders can tell `date` from `timestamptz`.
public struct PostgresDataType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The type's OID.
    public let rawValue: UInt32

    /// Wraps a type OID.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Let the server infer the type from context (OID 0).
    public static let unspecified = PostgresDataType(rawValue: 0)
    /// `boolean`
    public static let bool = PostgresDataType(rawValue: 16)
    /// `bytea`
    public static let bytea = PostgresDataType(rawValue: 17)
    /// `"char"`
    public static let char = PostgresDataType(rawValue: 18)
    /// `name`
    public static let name = PostgresDataType(rawValue: 19)
    /// `bigint`
    public static let int8 = PostgresDataType(rawValue: 20)
    /// `smallint`
    public static let int2 = PostgresDataType(rawValue: 21)
    /// `integer`
    public static let int4 = PostgresDataType(rawValue: 23)
    /// `text`
    public static let text = PostgresDataType(rawValue: 25)
    /// `oid`
    public static let oid = PostgresDataType(rawValue: 26)
    /// `json`
    public static let json = PostgresDataType(rawValue: 114)
    /// `real`
    public static let float4 = PostgresDataType(rawValue: 700)
    /// `double precision`
    public static let float8 = PostgresDataType(rawValue: 701)
    /// `boolean[]`
    public static let boolArray = PostgresDataType(rawValue: 1000)
    /// `bytea[]`
    public static let byteaArray = PostgresDataType(rawValue: 1001)
    /// `smallint[]`
    public static let int2Array = PostgresDataType(rawValue: 1005)
    /// `integer[]`
    public static let int4Array = PostgresDataType(rawValue: 1007)
    /// `text[]`
    public static let textArray = PostgresDataType(rawValue: 1009)
    /// `varchar[]`
    public static let varcharArray = PostgresDataType(rawValue: 1015)
    /// `bigint[]`
    public static let int8Array = PostgresDataType(rawValue: 1016)
    /// `double precision[]`
    public static let float8Array = PostgresDataType(rawValue: 1022)
    /// `bpchar` (`char(n)`)
    public static let bpchar = PostgresDataType(rawValue: 1042)
    /// `varchar`
    public static let varchar = PostgresDataType(rawValue: 1043)
    /// `date`
    public static let date = PostgresDataType(rawValue: 1082)
    /// `timestamp` (without time zone)
    public static let timestamp = PostgresDataType(rawValue: 1114)
    /// `timestamptz`
    public static let timestamptz = PostgresDataType(rawValue: 1184)
    /// `timestamptz[]`
    public static let timestamptzArray = PostgresDataType(rawValue: 1185)
    /// `numeric`
    public static let numeric = PostgresDataType(rawValue: 1700)
    /// `uuid`
    public static let uuid = PostgresDataType(rawValue: 2950)
    /// `uuid[]`
    public static let uuidArray = PostgresDataType(rawValue: 2951)
    /// `jsonb`
    public static let jsonb = PostgresDataType(rawValue: 3802)

    /// `oid <number>`, for logs.
    public var description: String { "oid \(rawValue)" }
}
