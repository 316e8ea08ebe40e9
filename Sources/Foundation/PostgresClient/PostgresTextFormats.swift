import Foundation

/// Postgres' ISO text format for `timestamptz`, `timestamp` and `date`, in pure arithmetic (no formatters, no locale).
enum PostgresTimestamp {
    /// `YYYY-MM-DD HH:MM:SS.ffffff+00`, rounded to the microsecond; years before 1 get Postgres' ` BC` suffix.
    static func format(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let (seconds, fraction) = floorDivide(micros, 1_000_000)
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let (year, month, day) = civil(fromDays: days)
        let isBC = year <= 0
        let shownYear = isBC ? 1 - year : year
        var text = pad(shownYear, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + " "
        text += pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
        text += "." + pad(fraction, 6) + "+00"
        return isBC ? text + " BC" : text
    }

    /// Parses `YYYY-MM-DD[ HH:MM:SS[.f…][±HH[:MM[:SS]]]][ BC]`, `infinity` and `-infinity`. No offset means UTC.
    static func parse(_ text: String) -> Date? {
        if text == "infinity" { return .distantFuture }
        if text == "-infinity" { return .distantPast }
        var bytes = Array(text.utf8)
        let isBC = bytes.count > 3 && bytes.suffix(3) == Array(" BC".utf8)
        if isBC { bytes.removeLast(3) }
        var scanner = Scanner(bytes: bytes)
        guard var year = scanner.number(minDigits: 4, maxDigits: 9), scanner.skip("-"),
            let month = scanner.number(minDigits: 2, maxDigits: 2), scanner.skip("-"),
            let day = scanner.number(minDigits: 2, maxDigits: 2), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        if isBC { year = 1 - year }
        var seconds = days(fromYear: year, month: month, day: day) * 86_400
        var micros: Int64 = 0
        if !scanner.isAtEnd {
            guard scanner.skip(" ") || scanner.skip("T"),
                let hour = scanner.number(minDigits: 2, maxDigits: 2), scanner.skip(":"),
                let minute = scanner.number(minDigits: 2, maxDigits: 2), scanner.skip(":"),
                let second = scanner.number(minDigits: 2, maxDigits: 2)
            else { return nil }
            seconds += hour * 3600 + minute * 60 + second
            if scanner.skip(".") {
                let start = scanner.index
                guard let fraction = scanner.number(minDigits: 1, maxDigits: 9) else { return nil }
                var scaled = fraction
                var digits = scanner.index - start
                while digits < 6 {
                    scaled *= 10
                    digits += 1
                }
                while digits > 6 {
                    scaled /= 10
                    digits -= 1
                }
                micros = scaled
            }
            if let sign = scanner.peek, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                scanner.index += 1
                guard let offsetHours = scanner.number(minDigits: 2, maxDigits: 2) else { return nil }
                var offset = offsetHours * 3600
                if scanner.skip(":") {
                    guard let offsetMinutes = scanner.number(minDigits: 2, maxDigits: 2) else { return nil }
                    offset += offsetMinutes * 60
                    if scanner.skip(":") {
                        guard let offsetSeconds = scanner.number(minDigits: 2, maxDigits: 2) else { return nil }
                        offset += offsetSeconds
                    }
                }
                seconds -= sign == UInt8(ascii: "+") ? offset : -offset
            }
            guard scanner.isAtEnd else { return nil }
        }
        return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    static func days(fromYear year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let quotient = value >= 0 ? value / divisor : (value - divisor + 1) / divisor
        return (quotient, value - quotient * divisor)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// A cursor over ASCII bytes.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0
        var isAtEnd: Bool { index == bytes.count }
        var peek: UInt8? { isAtEnd ? nil : bytes[index] }

        mutating func skip(_ character: Character) -> Bool {
            guard let byte = character.asciiValue, peek == byte else { return false }
            index += 1
            return true
        }

        mutating func number(minDigits: Int, maxDigits: Int) -> Int64? {
            var value: Int64 = 0
            var count = 0
            while count < maxDigits, let byte = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
                count += 1
                index += 1
            }
            return count >= minDigits ? value : nil
        }
    }
}

/// Postgres' hex text format for `bytea` (`\x0a1b…`).
enum PostgresBytea {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func format<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var text: [UInt8] = [UInt8(ascii: "\\"), UInt8(ascii: "x")]
        for byte in bytes {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    static func parse(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"), utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity((utf8.count - 2) / 2)
        var index = 2
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Postgres' text format for one-dimensional arrays (`{a,"b c",NULL}`).
enum PostgresArrayText {
    /// Every element double-quoted with `"` and `\` escaped; nil elements become `NULL`.
    static func format(_ elements: [String?]) -> String {
        var text: [UInt8] = [UInt8(ascii: "{")]
        for (index, element) in elements.enumerated() {
            if index > 0 { text.append(UInt8(ascii: ",")) }
            guard let element else {
                text += "NULL".utf8
                continue
            }
            text.append(UInt8(ascii: "\""))
            for byte in element.utf8 {
                if byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") { text.append(UInt8(ascii: "\\")) }
                text.append(byte)
            }
            text.append(UInt8(ascii: "\""))
        }
        text.append(UInt8(ascii: "}"))
        return String(decoding: text, as: UTF8.self)
    }

    /// The elements of a one-dimensional array literal (an unquoted `NULL` is nil); nil for anything else.
    static func parse(_ text: String) -> [String?]? {
        var bytes = Array(text.utf8)[...]
        if bytes.first == UInt8(ascii: "[") {  // explicit bounds such as `[0:2]={…}`
            guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")) else { return nil }
            bytes = bytes[(equals + 1)...]
        }
        guard bytes.first == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}") else { return nil }
        bytes = bytes.dropFirst().dropLast()
        if bytes.isEmpty { return [] }
        var elements: [String?] = []
        var current: [UInt8] = []
        var isQuoted = false
        var wasQuoted = false
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") {
                index += 1
                guard index < bytes.endIndex else { return nil }
                current.append(bytes[index])
            } else if byte == UInt8(ascii: "\"") {
                isQuoted.toggle()
                wasQuoted = true
            } else if !isQuoted && byte == UInt8(ascii: "{") {
                return nil  // multi-dimensional
            } else if !isQuoted && byte == UInt8(ascii: ",") {
                elements.append(element(current, wasQuoted: wasQuoted))
                current = []
                wasQuoted = false
            } else {
                current.append(byte)
            }
            index += 1
        }
        guard !isQuoted else { return nil }
        elements.append(element(current, wasQuoted: wasQuoted))
        return elements
    }

    private static func element(_ bytes: [UInt8], wasQuoted: Bool) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        if !wasQuoted && text.uppercased() == "NULL" { return nil }
        return wasQuoted ? text : text.trimmingCharacters(in: .whitespaces)
    }
}
