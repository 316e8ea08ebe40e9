/// One typed cell of a table; `null` is a missing value (an empty CSV field, a JSON `null` or absent key).
public enum TabularValue: Sendable, Hashable {
    /// A missing value.
    case null
    /// An `int` value.
    case int(Int64)
    /// A `float` value (always finite).
    case float(Double)
    /// A `bool` value.
    case bool(Bool)
    /// A `string` or `category` value.
    case string(String)
    /// A `timestamp`: microseconds since 1970-01-01T00:00:00Z (negative before it).
    case timestamp(microseconds: Int64)

    /// True for ``null``.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}
