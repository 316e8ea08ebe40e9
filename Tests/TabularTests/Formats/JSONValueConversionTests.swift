import Tabular
import Testing

@Suite struct JSONValueConversionTests {
    private func convert(_ scalar: JSONScalar, _ type: ColumnType) -> TabularValue? {
        try? ValueParser.parse(scalar, as: type)
    }

    private func reason(_ scalar: JSONScalar, _ type: ColumnType) -> String? {
        thrownTabularError { try ValueParser.parse(scalar, as: type) }?.message
    }

    @Test func nullIsMissingForEveryType() {
        for type in ColumnType.allCases { #expect(convert(.null, type) == .null) }
    }

    @Test func numbersFillIntColumnsOnlyWhenIntegralAndInRange() {
        #expect(convert(.number("42"), .int) == .int(42))
        #expect(convert(.number("-0"), .int) == .int(0))
        #expect(convert(.number("3.0"), .int) == .int(3))
        #expect(convert(.number("3e2"), .int) == .int(300))
        #expect(convert(.number("1.5e1"), .int) == .int(15))
        #expect(convert(.number("1200e-2"), .int) == .int(12))
        #expect(convert(.number("0.0e999999999"), .int) == .int(0))
        #expect(convert(.number("9223372036854775807"), .int) == .int(.max))
        #expect(convert(.number("-9223372036854775808"), .int) == .int(.min))
        #expect(convert(.number("9007199254740993"), .int) == .int(9_007_199_254_740_993))
        #expect(reason(.number("3.5"), .int) == "The number 3.5 is not a whole number; int columns take whole numbers")
        #expect(reason(.number("1e-1"), .int)?.contains("not a whole number") == true)
        #expect(
            reason(.number("9223372036854775808"), .int)
                == "The number 9223372036854775808 is outside the int range -9223372036854775808 to 9223372036854775807"
        )
        #expect(reason(.number("1e19"), .int)?.contains("outside the int range") == true)
        #expect(reason(.number("1e999999999999"), .int)?.contains("outside the int range") == true)
    }

    @Test func numbersFillFloatColumnsWhenFinite() {
        #expect(convert(.number("-0.5e3"), .float) == .float(-500))
        #expect(convert(.number("12"), .float) == .float(12))
        #expect(reason(.number("1e309"), .float)?.contains("too large for a float") == true)
    }

    @Test func stringsAreParsedByTheTextRulesOutsideTextColumns() {
        #expect(convert(.string("42"), .int) == .int(42))
        #expect(convert(.string("2.5"), .float) == .float(2.5))
        #expect(convert(.string("yes"), .bool) == .bool(true))
        #expect(convert(.string("2026-01-31T12:30:00+04:00"), .timestamp) == .timestamp(microseconds: 1_769_848_200_000_000))
        #expect(convert(.string(""), .int) == .null)
        #expect(reason(.string("2026-02-30"), .timestamp)?.contains("February 2026 has 28 days") == true)
    }

    @Test func stringsStayAsWrittenInTextColumnsIncludingTheEmptyString() {
        #expect(convert(.string(""), .string) == .string(""))
        #expect(convert(.string(" x "), .category) == .string(" x "))
    }

    @Test func boolsFillOnlyBoolColumnsAndBoolColumnsTakeZeroAndOne() {
        #expect(convert(.bool(true), .bool) == .bool(true))
        #expect(convert(.number("0"), .bool) == .bool(false))
        #expect(convert(.number("1"), .bool) == .bool(true))
        #expect(reason(.number("2"), .bool) == "The value 2 is a number, but the column is bool; write true or false")
        #expect(reason(.bool(true), .string) == "The value true is a bool, but the column is string; write it as a JSON string")
        #expect(reason(.bool(false), .int) == "The value false is a bool, but the column is int; write a JSON number")
    }

    @Test func numbersAreRefusedInTextAndTimestampColumns() {
        #expect(reason(.number("7"), .category) == "The value 7 is a number, but the column is category; write it as a JSON string")
        #expect(
            reason(.number("1769862600"), .timestamp)
                == "The value 1769862600 is a number, but the column is timestamp; write an RFC 3339 string such as \"2026-01-31T12:30:00Z\""
        )
    }
}
