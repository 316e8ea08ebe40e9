/// Turns text (a CSV field, a JSON value) into a ``TabularValue`` of a given ``ColumnType``, with errors that say what
/// was wrong and what to write instead. Errors carry no location; callers add it with ``TabularError/located(line:column:)``
/// (``CSVRecord/values(for:)`` and ``JSONLinesRecord/values(for:)`` do).
///
/// Rules for text:
/// - The empty string is missing (``TabularValue/null``) for every type.
/// - `int`: an optional sign then ASCII digits, within Int64 (`1.0` and `1e3` are not ints).
/// - `float`: decimal and exponent forms (`3`, `-0.5`, `.5`, `5.`, `1e-3`, `2.5E+10`); finite only, so `NaN`, `inf`
///   and `1e309` are refused; a value that underflows (`1e-400`) becomes zero.
/// - `bool`: `true`/`false`, `t`/`f`, `yes`/`no`, `1`/`0`, any letter case.
/// - `timestamp`: see ``TimestampText``.
/// - `string` and `category`: any text, kept as written.
/// - For int, float, bool and timestamp, leading and trailing spaces and tabs are ignored (so blank text is missing).
public enum ValueParser {
    /// Parses `text` as a value of `type` following the rules above.
    /// - Throws: ``TabularError/Code/invalidValue`` with a reason such as `'4x' is not an integer …`.
    public static func parse(_ text: String, as type: ColumnType) throws(TabularError) -> TabularValue {
        switch type {
        case .string, .category:
            return text.isEmpty ? .null : .string(text)
        case .int, .float, .bool, .timestamp:
            var text = text
            let result = text.withUTF8 { bytes in parsePadded(trimmingPadding(bytes), as: type) }
            switch result {
            case .success(let value): return value
            case .failure(let problem): throw TabularError(.invalidValue, reason: problem.reason(for: text, as: type))
            }
        }
    }

    /// Parses one CSV field as read by ``CSVReader``: `nil` (an unquoted empty field) is missing; `""` (a quoted empty
    /// field) is the empty string in string and category columns and missing in the others; other text follows
    /// ``parse(_:as:)``.
    public static func parse(csvField field: String?, as type: ColumnType) throws(TabularError) -> TabularValue {
        guard let field else { return .null }
        if field.isEmpty && (type == .string || type == .category) { return .string("") }
        return try parse(field, as: type)
    }

    /// Why a text did not parse; turned into a sentence only when an error is thrown.
    enum Problem: Error, Equatable {
        case notInteger, integerOutOfRange, notNumber, notFinite, floatOutOfRange, notBool
        case notTimestamp, invalidDate(String), invalidTime(String)

        func reason(for text: String, as type: ColumnType) -> String {
            let value = MessageText.quoted(text)
            switch self {
            case .notInteger:
                if (try? ValueParser.parse(text, as: .float)) != nil {
                    return "\(value) is not an integer: int columns take whole numbers without a decimal point or exponent"
                }
                return "\(value) is not an integer; write digits with an optional sign, such as -42"
            case .integerOutOfRange:
                return "\(value) is outside the int range \(Int64.min) to \(Int64.max)"
            case .notNumber: return "\(value) is not a number; write a decimal such as 3.14, -0.5 or 2.5e-3"
            case .notFinite: return "\(value) is not a finite number; float columns take finite numbers only"
            case .floatOutOfRange: return "\(value) is too large for a float (the largest is about 1.8e308)"
            case .notBool: return "\(value) is not a bool; write true/false, t/f, yes/no or 1/0"
            case .notTimestamp:
                return
                    "\(value) is not a timestamp; write RFC 3339 such as 2026-01-31T12:30:00Z, 2026-01-31 12:30:00+04:00 or a date such as 2026-01-31"
            case .invalidDate(let detail): return "\(value) is not a valid date: \(detail)"
            case .invalidTime(let detail): return "\(value) is not a valid time: \(detail)"
            }
        }
    }

    /// Parses trimmed, non-text bytes; empty bytes are missing.
    static func parsePadded(_ bytes: UnsafeBufferPointer<UInt8>, as type: ColumnType) -> Result<TabularValue, Problem> {
        if bytes.isEmpty { return .success(.null) }
        switch type {
        case .int: return parseInteger(bytes).map { .int($0) }
        case .float: return parseFloat(bytes).map { .float($0) }
        case .bool: return parseBool(bytes).map { .bool($0) }
        case .timestamp: return TimestampText.parse(bytes).map { .timestamp(microseconds: $0) }
        case .string, .category: return .success(.string(String(decoding: bytes, as: UTF8.self)))
        }
    }

    /// The bytes without leading and trailing spaces and tabs.
    static func trimmingPadding(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end && (bytes[start] == 0x20 || bytes[start] == 0x09) { start += 1 }
        while end > start && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09) { end -= 1 }
        return UnsafeBufferPointer(rebasing: bytes[start..<end])
    }

    /// An optional sign then one or more ASCII digits, within Int64.
    static func parseInteger(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<Int64, Problem> {
        var index = 0
        let isNegative = bytes[0] == UInt8(ascii: "-")
        if isNegative || bytes[0] == UInt8(ascii: "+") { index = 1 }
        guard index < bytes.count else { return .failure(.notInteger) }
        // Accumulate negatively so that Int64.min fits.
        var value: Int64 = 0
        var isOutOfRange = false
        while index < bytes.count {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return .failure(.notInteger) }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.subtractingReportingOverflow(Int64(digit))
            isOutOfRange = isOutOfRange || overflow1 || overflow2
            value = next
            index += 1
        }
        if isOutOfRange { return .failure(.integerOutOfRange) }
        if isNegative { return .success(value) }
        return value == .min ? .failure(.integerOutOfRange) : .success(-value)
    }

    /// Decimal or exponent notation, finite.
    static func parseFloat(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<Double, Problem> {
        if let value = exactlyRoundedShortDecimal(bytes) { return .success(value) }
        guard isDecimalNumber(bytes) else {
            let word = String(decoding: bytes, as: UTF8.self).lowercased().drop(while: { $0 == "+" || $0 == "-" })
            return .failure(["nan", "inf", "infinity"].contains(word) ? .notFinite : .notNumber)
        }
        guard let value = Double(String(decoding: bytes, as: UTF8.self)) else { return .failure(.notNumber) }
        return value.isFinite ? .success(value) : .failure(.floatOutOfRange)
    }

    /// Clinger's fast path for the common case, several times faster than `strtod`: a plain decimal (no exponent) whose
    /// digits fit in 2^53 and that has at most 22 fraction digits is an exact integer divided by an exact power of ten,
    /// so one IEEE division rounds it correctly. Returns `nil` for anything else.
    static func exactlyRoundedShortDecimal(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        var index = 0
        let isNegative = bytes[0] == UInt8(ascii: "-")
        if isNegative || bytes[0] == UInt8(ascii: "+") { index = 1 }
        var significand: UInt64 = 0
        var digitCount = 0
        var fractionDigitCount = 0
        var hasPoint = false
        while index < bytes.count {
            let byte = bytes[index]
            let digit = byte &- UInt8(ascii: "0")
            if digit < 10 {
                guard digitCount < 19 else { return nil }
                significand = significand * 10 + UInt64(digit)
                digitCount += 1
                if hasPoint { fractionDigitCount += 1 }
            } else if byte == UInt8(ascii: ".") && !hasPoint {
                hasPoint = true
            } else {
                return nil
            }
            index += 1
        }
        guard digitCount > 0, significand <= 1 << 53, fractionDigitCount < exactPowersOfTen.count else { return nil }
        let magnitude = Double(significand) / exactPowersOfTen[fractionDigitCount]
        return isNegative ? -magnitude : magnitude
    }

    /// 10^0 … 10^22, every one exactly representable as a Double.
    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`
    static func isDecimalNumber(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        func skipDigits() -> Int {
            let start = index
            while index < bytes.count && bytes[index] &- UInt8(ascii: "0") < 10 { index += 1 }
            return index - start
        }
        if bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-") { index += 1 }
        var mantissaDigits = skipDigits()
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
            index += 1
            mantissaDigits += skipDigits()
        }
        guard mantissaDigits > 0 else { return false }
        if index < bytes.count && (bytes[index] | 0x20) == UInt8(ascii: "e") {
            index += 1
            if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) { index += 1 }
            guard skipDigits() > 0 else { return false }
        }
        return index == bytes.count
    }

    /// true/false, t/f, yes/no, 1/0 in any letter case.
    static func parseBool(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<Bool, Problem> {
        guard bytes.count <= 5 else { return .failure(.notBool) }
        var lowered = ""
        for byte in bytes { lowered.unicodeScalars.append(Unicode.Scalar(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)) }
        switch lowered {
        case "true", "t", "yes", "1": return .success(true)
        case "false", "f", "no", "0": return .success(false)
        default: return .failure(.notBool)
        }
    }
}
