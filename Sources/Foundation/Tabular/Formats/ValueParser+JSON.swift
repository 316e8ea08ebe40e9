extension ValueParser {
    /// Converts a JSON-lines value for a column of `type`:
    /// - `null` is missing for every type;
    /// - a string is the value itself in string and category columns (`""` stays an empty string) and is parsed by the
    ///   text rules in the others (so `"42"` fills an int column, as exporters that quote 64-bit integers write it);
    /// - a number fills an int column when it is integral and in range (`3`, `3.0`, `3e2`; not `3.5` or `1e19`), a float
    ///   column when finite, and a bool column when it is exactly `0` or `1`;
    /// - a bool fills a bool column only.
    ///
    /// Everything else is refused: a number or bool in a string, category or timestamp column, a bool in a number
    /// column.
    /// - Throws: ``TabularError/Code/invalidValue`` saying what the value was and what the column takes.
    public static func parse(_ scalar: JSONScalar, as type: ColumnType) throws(TabularError) -> TabularValue {
        switch (scalar, type) {
        case (.null, _):
            return .null
        case (.string(let text), .string), (.string(let text), .category):
            return .string(text)
        case (.string(let text), _):
            return try parse(text, as: type)
        case (.bool(let value), .bool):
            return .bool(value)
        case (.number(let text), .int):
            var digits = text
            if case .success(let value) = digits.withUTF8({ parseInteger($0) }) { return .int(value) }
            switch integralValue(ofJSONNumber: text) {
            case .success(let value): return .int(value)
            case .failure(.integerOutOfRange):
                throw TabularError(.invalidValue, reason: "the number \(text) is outside the int range \(Int64.min) to \(Int64.max)")
            case .failure: throw TabularError(.invalidValue, reason: "the number \(text) is not a whole number; int columns take whole numbers")
            }
        case (.number(let text), .float):
            return try parse(text, as: .float)
        case (.number(let text), .bool) where text == "0" || text == "1":
            return .bool(text == "1")
        case (.number, _), (.bool, _):
            throw refusal(of: scalar, as: type)
        }
    }

    private static func refusal(of scalar: JSONScalar, as type: ColumnType) -> TabularError {
        let kind = if case .bool = scalar { "a bool" } else { "a number" }
        var reason = "the value \(text(of: scalar) ?? "null") is \(kind), but the column is \(type.rawValue)"
        switch type {
        case .string, .category: reason += "; write it as a JSON string"
        case .timestamp: reason += "; write an RFC 3339 string such as \"2026-01-31T12:30:00Z\""
        case .int, .float: reason += "; write a JSON number"
        case .bool: reason += "; write true or false"
        }
        return TabularError(.invalidValue, reason: reason)
    }

    /// The text a JSON scalar stands for, as schema inference sees it: strings as they are, numbers as written, bools as
    /// `true`/`false`, `nil` for null.
    static func text(of scalar: JSONScalar) -> String? {
        switch scalar {
        case .null: nil
        case .bool(let value): value ? "true" : "false"
        case .number(let text), .string(let text): text
        }
    }

    /// The exact Int64 value of a JSON number (`-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`) when it is integral, computed
    /// from its digits so that large integers are not rounded through a Double.
    static func integralValue(ofJSONNumber text: String) -> Result<Int64, Problem> {
        var significand: [UInt8] = []
        var exponent = 0
        var isNegative = false
        var isInFraction = false
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            switch byte {
            case UInt8(ascii: "-") where index == utf8.startIndex: isNegative = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                significand.append(byte &- UInt8(ascii: "0"))
                if isInFraction { exponent -= 1 }
            case UInt8(ascii: "."): isInFraction = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                guard let written = Int(text[utf8.index(after: index)...].drop(while: { $0 == "+" })) else { return .failure(.notInteger) }
                exponent += max(-100_000, min(100_000, written))
                index = utf8.endIndex
                continue
            default: return .failure(.notInteger)
            }
            index = utf8.index(after: index)
        }
        while let last = significand.last, last == 0, significand.count > 1 {
            significand.removeLast()
            exponent += 1
        }
        guard let firstNonZero = significand.firstIndex(where: { $0 != 0 }) else { return .success(0) }
        significand.removeFirst(firstNonZero)
        guard exponent >= 0 else { return .failure(.notInteger) }
        guard significand.count + exponent <= 19 else { return .failure(.integerOutOfRange) }
        var value: Int64 = 0
        for digit in significand + Array(repeating: 0, count: exponent) {
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.subtractingReportingOverflow(Int64(digit))
            guard !overflow1 && !overflow2 else { return .failure(.integerOutOfRange) }
            value = next
        }
        if isNegative { return .success(value) }
        return value == .min ? .failure(.integerOutOfRange) : .success(-value)
    }
}
