/// The type of a dataset or feature column.
///
/// `category` is a string drawn from a small set of values (a country, a plan name); it is stored like `string` but
/// statistics and models treat it as categorical. Raw values are the names users write in schemas and the API.
public enum ColumnType: String, Sendable, Codable, CaseIterable, Hashable {
    /// A 64-bit signed integer.
    case int
    /// A 64-bit floating-point number (finite: NaN and infinities are refused on input).
    case float
    /// `true` or `false`.
    case bool
    /// Any UTF-8 text.
    case string
    /// An instant in time, kept to the microsecond in UTC.
    case timestamp
    /// Text from a small set of values.
    case category
}

/// One column of a table: a name and a type.
public struct Column: Sendable, Codable, Hashable {
    /// The column's name as it appears in the header (or JSON key).
    public var name: String
    /// Its type.
    public var type: ColumnType

    /// Creates a column.
    public init(name: String, type: ColumnType) {
        self.name = name
        self.type = type
    }
}
