/// Writes values' ``TabularValue/canonicalText`` as UTF-8 bytes straight into memory, without making a `String` per
/// value: what ``CSVWriter`` uses for typed rows. Each function writes exactly the bytes of the corresponding text.
///
/// The functions write at `position` into `out` and return the position after the last byte written; the caller makes
/// sure that ``maximumByteCount`` bytes are free there.
enum CanonicalBytes {
    /// The most bytes one non-text value takes: a float's `description` is at most 24 (`-2.2250738585072014e-308`), a
    /// timestamp at most 30 (`+292277-12-31T23:59:59.999999Z` and the like), an int at most 20.
    static let maximumByteCount = 32

    /// Writes a non-text value as ``TabularValue/canonicalText`` writes it (nothing for ``TabularValue/null``).
    /// - Precondition: `value` is not a string (text needs the CSV quoting rules).
    @inline(__always)
    static func write(_ value: TabularValue, to out: UnsafeMutableBufferPointer<UInt8>, at position: Int) -> Int {
        switch value {
        case .null: position
        case .int(let number): writeInteger(number, to: out, at: position)
        case .float(let number): writeFloat(number, to: out, at: position)
        case .bool(let flag): writeASCII(flag ? "true" : "false", to: out, at: position)
        case .timestamp(let microseconds): writeTimestamp(microseconds: microseconds, to: out, at: position)
        case .string: preconditionFailure("CanonicalBytes does not write text")
        }
    }

    /// `String(number)`: an optional minus sign, then the digits.
    static func writeInteger(_ number: Int64, to out: UnsafeMutableBufferPointer<UInt8>, at position: Int) -> Int {
        var position = position
        if number < 0 {
            out[position] = UInt8(ascii: "-")
            position += 1
        }
        return writeDigits(number.magnitude, width: digitCount(number.magnitude), to: out, at: position)
    }

    /// The number of decimal digits of `value` (1 for zero).
    @inline(__always)
    static func digitCount(_ value: UInt64) -> Int {
        var count = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            count += 1
        }
        return count
    }

    /// The last `width` decimal digits of `value`, zero-padded on the left.
    @inline(__always)
    static func writeDigits(_ value: UInt64, width: Int, to out: UnsafeMutableBufferPointer<UInt8>, at position: Int) -> Int {
        var rest = value
        var index = position + width
        while index > position {
            index -= 1
            out[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        }
        return position + width
    }

    /// `number.description`: Swift's shortest text that reads back as the same double (`0.1`, `12.0`, `1e+20`).
    ///
    /// Fast path for the common case, a number that is a short decimal: when `n / 10^k` (`n` at most 2^53, so the
    /// division is exact arithmetic rounded once) equals the number, and the number's ulp is below `10^-k`, no other
    /// decimal with at most `k` fraction digits lies within the number's rounding interval, so `n` with `k` decimals,
    /// trailing zeros removed, is the unique shortest round-trip text, the one `description` prints. Swift prints
    /// positional notation for magnitudes from 10^-3 up to 10^15, the only range the fast path serves; everything else
    /// (zero, tiny, huge, or long decimals) goes through `description`.
    static func writeFloat(_ number: Double, to out: UnsafeMutableBufferPointer<UInt8>, at position: Int) -> Int {
        let magnitude = number.magnitude
        if magnitude >= 1e-3 && magnitude < 1e15 {
            var scale = 1.0
            for places in 0...maximumFastPlaces {
                let scaled = magnitude * scale
                guard scaled < 0x1p53 else { break }
                let digits = UInt64(scaled + 0.5)  // the nearest integer when `scaled` is one up to rounding
                if Double(digits) / scale == magnitude {
                    guard magnitude.ulp * scale < 1 else { break }
                    var position = position
                    if number < 0 {
                        out[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    return writeFixed(digits, places: places, to: out, at: position)
                }
                scale *= 10
            }
        }
        return writeASCII(number.description, to: out, at: position)
    }

    /// The most fraction digits the float fast path tries (powers of ten up to 10^9 are exact doubles).
    private static let maximumFastPlaces = 9

    /// `value / 10^places` as `integer.fraction`, trailing fraction zeros removed, `.0` for a whole number.
    private static func writeFixed(_ value: UInt64, places: Int, to out: UnsafeMutableBufferPointer<UInt8>, at position: Int) -> Int {
        var divisor: UInt64 = 1
        for _ in 0..<places { divisor *= 10 }
        let whole = value / divisor
        var position = writeDigits(whole, width: digitCount(whole), to: out, at: position)
        out[position] = UInt8(ascii: ".")
        var fraction = value % divisor
        var width = places
        while width > 0 && fraction % 10 == 0 {
            fraction /= 10
            width -= 1
        }
        position = writeDigits(fraction, width: max(width, 1), to: out, at: position + 1)
        return position
    }

    /// ``TimestampText/format(microseconds:)``: `2026-01-31T12:30:00Z`, with `.ffffff` when the microseconds are not zero.
    static func writeTimestamp(microseconds: Int64, to out: UnsafeMutableBufferPointer<UInt8>, at position: Int) -> Int {
        let microsecondsPerDay: Int64 = 86_400_000_000
        var (days, timeOfDay) = microseconds.quotientAndRemainder(dividingBy: microsecondsPerDay)
        if timeOfDay < 0 {
            days -= 1
            timeOfDay += microsecondsPerDay
        }
        let date = TimestampText.civilDate(fromDays: days)
        let seconds = UInt64(timeOfDay / 1_000_000)
        let fraction = UInt64(timeOfDay % 1_000_000)
        var position = position
        func put(_ byte: UInt8) {
            out[position] = byte
            position += 1
        }
        if date.year < 0 || date.year > 9999 { put(date.year < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+")) }
        position = writeDigits(date.year.magnitude, width: max(4, digitCount(date.year.magnitude)), to: out, at: position)
        put(UInt8(ascii: "-"))
        position = writeDigits(UInt64(date.month), width: 2, to: out, at: position)
        put(UInt8(ascii: "-"))
        position = writeDigits(UInt64(date.day), width: 2, to: out, at: position)
        put(UInt8(ascii: "T"))
        position = writeDigits(seconds / 3600, width: 2, to: out, at: position)
        put(UInt8(ascii: ":"))
        position = writeDigits(seconds / 60 % 60, width: 2, to: out, at: position)
        put(UInt8(ascii: ":"))
        position = writeDigits(seconds % 60, width: 2, to: out, at: position)
        if fraction != 0 {
            put(UInt8(ascii: "."))
            position = writeDigits(fraction, width: 6, to: out, at: position)
        }
        put(UInt8(ascii: "Z"))
        return position
    }

    /// Copies a short text's UTF-8 bytes.
    private static func writeASCII(_ text: String, to out: UnsafeMutableBufferPointer<UInt8>, at position: Int) -> Int {
        var position = position
        for byte in text.utf8 {
            out[position] = byte
            position += 1
        }
        return position
    }
}
