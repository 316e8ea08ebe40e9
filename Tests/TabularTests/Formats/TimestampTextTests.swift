import Tabular
import Testing

@Suite struct TimestampTextTests {
    /// 2026-01-31T12:30:00Z in microseconds since the epoch.
    static let halfPastTwelve: Int64 = 1_769_862_600_000_000
    static let hour: Int64 = 3_600_000_000

    private func micros(_ text: String) -> Int64? {
        try? TimestampText.parse(text)
    }

    private func reason(_ text: String) -> String? {
        thrownTabularError { try ValueParser.parse(text, as: .timestamp) }?.message
    }

    @Test func dateAloneIsMidnightUTC() {
        #expect(micros("2026-01-31") == 1_769_817_600_000_000)
        #expect(micros("1970-01-01") == 0)
        #expect(micros("0001-01-01") == -62_135_596_800_000_000)
        #expect(micros("2000-02-29") == 951_782_400_000_000)
    }

    @Test func dateAndTimeWithoutOffsetIsUTC() {
        for text in [
            "2026-01-31T12:30:00Z", "2026-01-31T12:30:00z", "2026-01-31t12:30:00Z", "2026-01-31 12:30:00", "2026-01-31T12:30",
            "2026-01-31 12:30:00+00:00", "2026-01-31T12:30:00-00:00",
        ] {
            #expect(micros(text) == Self.halfPastTwelve, "\(text)")
        }
        #expect(micros("9999-12-31T23:59:59.999999Z") == 253_402_300_799_999_999)
        #expect(micros("1969-12-31T23:59:59.999999Z") == -1)
    }

    @Test func offsetsAreSubtractedToGetUTC() {
        #expect(micros("2026-01-31T16:30:00+04:00") == Self.halfPastTwelve)
        #expect(micros("2026-01-31T16:30:00+0400") == Self.halfPastTwelve)
        #expect(micros("2026-01-31T16:30:00+04") == Self.halfPastTwelve)
        #expect(micros("2026-01-31T07:00:00-05:30") == Self.halfPastTwelve)
        #expect(micros("2026-02-01T02:30:00+14:00") == Self.halfPastTwelve)
        #expect(micros("2026-01-01T00:00:00+01:00") == micros("2025-12-31T23:00:00Z"))
    }

    @Test func fractionsAreMicrosecondsRoundedHalfUp() {
        #expect(micros("2026-01-31T12:30:00.5Z") == Self.halfPastTwelve + 500_000)
        #expect(micros("2026-01-31T12:30:00,25Z") == Self.halfPastTwelve + 250_000)
        #expect(micros("2026-01-31T12:30:00.123456Z") == Self.halfPastTwelve + 123_456)
        #expect(micros("2026-01-31T12:30:00.1234564Z") == Self.halfPastTwelve + 123_456)
        #expect(micros("2026-01-31T12:30:00.1234565Z") == Self.halfPastTwelve + 123_457)
        #expect(micros("2026-01-31T12:30:00.123456789+04:00") == Self.halfPastTwelve - 4 * Self.hour + 123_457)
        #expect(micros("2026-01-31T12:29:59.9999995Z") == Self.halfPastTwelve)
    }

    @Test func leapDaysExistOnlyInLeapYears() {
        #expect(micros("2024-02-29") != nil)
        #expect(micros("2000-02-29") != nil)
        #expect(reason("2026-02-29") == "'2026-02-29' is not a valid date: February 2026 has 28 days")
        #expect(reason("1900-02-29") == "'1900-02-29' is not a valid date: February 1900 has 28 days")
    }

    @Test func impossibleDatesAndTimesAreRefused() {
        #expect(reason("2026-02-30") == "'2026-02-30' is not a valid date: February 2026 has 28 days")
        #expect(reason("2026-04-31T00:00:00Z") == "'2026-04-31T00:00:00Z' is not a valid date: April 2026 has 30 days")
        #expect(reason("2026-13-01") == "'2026-13-01' is not a valid date: there is no month 13")
        #expect(reason("2026-00-10") == "'2026-00-10' is not a valid date: there is no month 0")
        #expect(reason("2026-01-00") == "'2026-01-00' is not a valid date: there is no day 0")
        #expect(reason("2026-01-31T24:00:00Z") == "'2026-01-31T24:00:00Z' is not a valid time: hours run from 00 to 23")
        #expect(reason("2026-01-31T12:60:00Z")?.contains("minutes run from 00 to 59") == true)
        #expect(reason("2026-12-31T23:59:60Z")?.contains("leap seconds are not supported") == true)
        #expect(reason("2026-01-31T12:00:00+24:00")?.contains("a UTC offset runs from -23:59 to +23:59") == true)
    }

    @Test(arguments: [
        "2026/01/31", "2026-1-31", "20260131", "26-01-31", "2026-01-31T", "2026-01-31T12", "2026-01-31T12:3", "2026-01-31T12:30:0",
        "2026-01-31T12:30:00.", "2026-01-31T12:30:00+4", "2026-01-31T12:30:00+04:", "2026-01-31T12:30:00Zjunk", "2026-01-31X12:30",
        "2026-01-31T12:30:00 +04:00", "1769862600", "yesterday", "-2026-01-31",
    ])
    func malformedTimestampsAreRefusedWithExamples(text: String) {
        #expect(
            reason(text)
                == "'\(text)' is not a timestamp; write RFC 3339 such as 2026-01-31T12:30:00Z, 2026-01-31 12:30:00+04:00 or a date such as 2026-01-31"
        )
    }

    @Test func formatWritesRFC3339UTCWithMicrosecondsWhenNonZero() {
        #expect(TimestampText.format(microseconds: Self.halfPastTwelve) == "2026-01-31T12:30:00Z")
        #expect(TimestampText.format(microseconds: Self.halfPastTwelve + 7) == "2026-01-31T12:30:00.000007Z")
        #expect(TimestampText.format(microseconds: 0) == "1970-01-01T00:00:00Z")
        #expect(TimestampText.format(microseconds: -1) == "1969-12-31T23:59:59.999999Z")
        #expect(TimestampText.format(microseconds: -62_135_596_800_000_000) == "0001-01-01T00:00:00Z")
        #expect(TimestampText.format(microseconds: 253_402_300_800_000_000) == "+10000-01-01T00:00:00Z")
    }

    @Test func formatAndParseRoundTripAcrossTheCalendar() {
        // Every ~37 days and odd hours from year 1 to 9999, including leap days and negative timestamps.
        var value: Int64 = -62_135_596_800_000_000
        let step: Int64 = 37 * 86_400_000_000 + 3 * Self.hour + 123_457
        var count = 0
        while value < 253_402_300_799_999_999 {
            let text = TimestampText.format(microseconds: value)
            if micros(text) != value { Issue.record("\(value) → \(text) → \(String(describing: micros(text)))") }
            value += step
            count += 1
        }
        #expect(count > 98_000)
        for day in ["2024-02-29", "2000-02-29", "1600-02-29", "0004-02-29", "2026-12-31", "2027-01-01"] {
            #expect(TimestampText.format(microseconds: micros(day)!) == day + "T00:00:00Z")
        }
    }
}
