extension TabularValue {
    /// The value as ``CSVWriter`` writes it, which ``ValueParser`` reads back to the same value: ints as digits, floats
    /// in Swift's shortest round-trip form (`0.1`, `1.0`, `1e+20`), bools as `true`/`false`, timestamps as RFC 3339 UTC
    /// (``TimestampText/format(microseconds:)``), strings as they are, and `nil` for ``null``.
    public var canonicalText: String? {
        switch self {
        case .null: nil
        case .int(let value): String(value)
        case .float(let value): value.description
        case .bool(let value): value ? "true" : "false"
        case .string(let value): value
        case .timestamp(let microseconds): TimestampText.format(microseconds: microseconds)
        }
    }
}
