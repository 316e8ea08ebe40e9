/// RFC 3339 / ISO 8601 timestamps as text, by pure calendar arithmetic (proleptic Gregorian calendar, no time zone
/// database, no `DateFormatter`).
///
/// Accepted (``parse(_:)``):
/// - a date `2026-01-31` (midnight UTC);
/// - a date, then `T`, `t` or a space, then `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fraction` (`,` also separates the
///   fraction), then optionally `Z`/`z` or an offset `+04:00`, `+0400` or `+04`. No offset means UTC.
/// - Years 0000–9999; months, days, hours 00–23, minutes and seconds 00–59 are checked (2026-02-30 and leap
///   seconds are refused).
/// - Fractions longer than microseconds are rounded half up to the nearest microsecond
///   (`…:00.1234565Z` → `…:00.123457Z`).
///
/// Written (``format(microseconds:)``): `2026-01-31T12:30:00Z`, with `.ffffff` when the microseconds are non-zero.
public enum TimestampText {
    /// The RFC 3339 UTC text for a timestamp, e.g. `2026-01-31T12:30:00.250000Z`. Years outside 0000–9999 are written
    /// with a sign (`+12026-…`), which ``parse(_:)`` does not read back.
    public static func format(microseconds: Int64) -> String {
        let microsecondsPerDay: Int64 = 86_400_000_000
        let (days, timeOfDay) = floorDivision(microseconds, microsecondsPerDay)
        let date = civilDate(fromDays: days)
        let seconds = timeOfDay / 1_000_000
        let fraction = timeOfDay % 1_000_000
        var year = padded(date.year.magnitude, width: 4)
        if date.year < 0 || date.year > 9999 { year = (date.year < 0 ? "-" : "+") + year }
        var text = "\(year)-\(padded(date.month, width: 2))-\(padded(date.day, width: 2))"
        text += "T\(padded(seconds / 3600, width: 2)):\(padded(seconds / 60 % 60, width: 2)):\(padded(seconds % 60, width: 2))"
        if fraction != 0 { text += ".\(padded(fraction, width: 6))" }
        return text + "Z"
    }

    /// Parses a timestamp in the forms listed on ``TimestampText`` into microseconds since 1970-01-01T00:00:00Z.
    /// - Throws: ``TabularError/Code/invalidValue`` naming what was wrong (format, impossible date or time).
    public static func parse(_ text: String) throws(TabularError) -> Int64 {
        let value = try ValueParser.parse(text, as: .timestamp)
        guard case .timestamp(let microseconds) = value else {
            throw TabularError(.invalidValue, reason: "an empty text is not a timestamp")
        }
        return microseconds
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<Int64, ValueParser.Problem> {
        var index = 0
        func number(_ width: Int) -> Int? {
            guard index + width <= bytes.count else { return nil }
            var value = 0
            for offset in 0..<width {
                let digit = bytes[index + offset] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
            }
            index += width
            return value
        }
        func skip(_ character: Unicode.Scalar) -> Bool {
            guard index < bytes.count && bytes[index] == UInt8(ascii: character) else { return false }
            index += 1
            return true
        }
        guard let year = number(4), skip("-"), let month = number(2), skip("-"), let day = number(2) else { return .failure(.notTimestamp) }
        guard (1...12).contains(month) else { return .failure(.invalidDate("there is no month \(month)")) }
        let monthLength = daysInMonth(month, year: year)
        guard (1...monthLength).contains(day) else {
            return .failure(.invalidDate(day == 0 ? "there is no day 0" : "\(monthNames[month - 1]) \(year) has \(monthLength) days"))
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        guard index < bytes.count else { return .success(days * 86_400_000_000) }

        let separator = bytes[index]
        guard separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t") || separator == UInt8(ascii: " ") else {
            return .failure(.notTimestamp)
        }
        index += 1
        guard let hour = number(2), skip(":"), let minute = number(2) else { return .failure(.notTimestamp) }
        var second = 0
        var microsecond: Int64 = 0
        if skip(":") {
            guard let parsed = number(2) else { return .failure(.notTimestamp) }
            second = parsed
            if skip(".") || skip(",") {
                guard let fraction = fractionMicroseconds(bytes, from: &index) else { return .failure(.notTimestamp) }
                microsecond = fraction
            }
        }
        guard hour <= 23 else { return .failure(.invalidTime("hours run from 00 to 23")) }
        guard minute <= 59 else { return .failure(.invalidTime("minutes run from 00 to 59")) }
        guard second <= 59 else { return .failure(.invalidTime("seconds run from 00 to 59 (leap seconds are not supported)")) }

        var offsetMinutes = 0
        if skip("Z") || skip("z") {
        } else if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
            guard let hours = number(2) else { return .failure(.notTimestamp) }
            var minutes = 0
            if index < bytes.count {
                _ = skip(":")
                guard let parsed = number(2) else { return .failure(.notTimestamp) }
                minutes = parsed
            }
            guard hours <= 23 && minutes <= 59 else { return .failure(.invalidTime("a UTC offset runs from -23:59 to +23:59")) }
            offsetMinutes = sign * (hours * 60 + minutes)
        }
        guard index == bytes.count else { return .failure(.notTimestamp) }
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetMinutes * 60)
        return .success(seconds * 1_000_000 + microsecond)
    }

    /// Reads one or more digits after the decimal separator, rounded half up to microseconds (may be 1,000,000).
    private static func fractionMicroseconds(_ bytes: UnsafeBufferPointer<UInt8>, from index: inout Int) -> Int64? {
        var value: Int64 = 0
        var digitCount = 0
        var roundsUp = false
        while index < bytes.count, case let digit = bytes[index] &- UInt8(ascii: "0"), digit < 10 {
            if digitCount < 6 { value = value * 10 + Int64(digit) } else if digitCount == 6 { roundsUp = digit >= 5 }
            digitCount += 1
            index += 1
        }
        guard digitCount > 0 else { return nil }
        for _ in min(digitCount, 6)..<6 { value *= 10 }
        return value + (roundsUp ? 1 : 0)
    }

    private static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
    ]

    static func isLeapYear(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysInMonth(_ month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let shiftedYear = Int64(month <= 2 ? year - 1 : year)
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = Int64((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1)
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civilDate(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }

    private static func padded(_ value: some BinaryInteger, width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
