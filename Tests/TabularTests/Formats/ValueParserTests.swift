import Tabular
import Testing

@Suite struct ValueParserTests {
    private func parse(_ text: String, _ type: ColumnType) -> TabularValue? {
        try? ValueParser.parse(text, as: type)
    }

    private func reason(_ text: String, _ type: ColumnType) -> String? {
        thrownTabularError { try ValueParser.parse(text, as: type) }?.message
    }

    @Test func emptyTextIsMissingForEveryType() {
        for type in ColumnType.allCases {
            #expect(parse("", type) == .null, "\(type)")
        }
        for type in [ColumnType.int, .float, .bool, .timestamp] {
            #expect(parse("  \t", type) == .null, "\(type)")
        }
    }

    @Test func intsAreAnOptionalSignThenDigitsWithinInt64() {
        #expect(parse("0", .int) == .int(0))
        #expect(parse("-0", .int) == .int(0))
        #expect(parse("+17", .int) == .int(17))
        #expect(parse("007", .int) == .int(7))
        #expect(parse(" 42 ", .int) == .int(42))
        #expect(parse("9223372036854775807", .int) == .int(.max))
        #expect(parse("-9223372036854775808", .int) == .int(.min))
        for text in ["1.0", "1e3", "4x", "-", "+", "1 000", "1_000", "0x10", "١٢"] {
            #expect(parse(text, .int) == nil, "\(text)")
        }
    }

    @Test func intErrorsSayWhatIsWrong() {
        #expect(reason("9223372036854775808", .int) == "'9223372036854775808' is outside the int range -9223372036854775808 to 9223372036854775807")
        #expect(reason("-9223372036854775809", .int)?.contains("outside the int range") == true)
        #expect(reason("99999999999999999999999", .int)?.contains("outside the int range") == true)
        #expect(reason("1.0", .int) == "'1.0' is not an integer: int columns take whole numbers without a decimal point or exponent")
        #expect(reason("abc", .int) == "'abc' is not an integer; write digits with an optional sign, such as -42")
    }

    @Test func floatsTakeDecimalAndExponentForms() {
        #expect(parse("3", .float) == .float(3))
        #expect(parse("-2.5", .float) == .float(-2.5))
        #expect(parse(".5", .float) == .float(0.5))
        #expect(parse("5.", .float) == .float(5))
        #expect(parse("1E-3", .float) == .float(0.001))
        #expect(parse("+2.5e+10", .float) == .float(2.5e10))
        #expect(parse("1e308", .float) == .float(1e308))
        #expect(parse("1.7976931348623157e308", .float) == .float(.greatestFiniteMagnitude))
        #expect(parse("1e-400", .float) == .float(0))
        if case .float(let value) = parse("-0", .float) { #expect(value == 0 && value.sign == .minus) } else { Issue.record("-0 did not parse") }
        for text in ["1e", "e5", ".", "-", "1.2.3", "0x1p3", "1_000", "1,5", "abc", "1e5.5"] {
            #expect(parse(text, .float) == nil, "\(text)")
        }
    }

    @Test func nonFiniteFloatsAreRefused() {
        #expect(reason("1e309", .float) == "'1e309' is too large for a float (the largest is about 1.8e308)")
        #expect(reason("-1e309", .float)?.contains("too large") == true)
        for text in ["NaN", "nan", "inf", "-Infinity", "+INF"] {
            #expect(reason(text, .float) == "'\(text)' is not a finite number; float columns take finite numbers only")
        }
        #expect(reason("abc", .float) == "'abc' is not a number; write a decimal such as 3.14, -0.5 or 2.5e-3")
    }

    @Test func shortDecimalsParseExactlyLikeTheStandardLibrary() {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<20_000 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let integer = seed >> 40
            let fraction = (seed >> 8) % 100_000_000
            let places = Int(seed % 12)
            let fractionText = String(String(fraction).prefix(places))
            let text = (seed & 1 == 0 ? "-" : "") + "\(integer)" + (places > 0 ? ".\(fractionText)" : "")
            #expect(parse(text, .float) == .float(Double(text)!), "\(text)")
        }
        for text in ["0.1", "0.3", "9007199254740993", "9007199254740993.5", "123456789012345678901234", "0.000000000000000000000001"] {
            #expect(parse(text, .float) == .float(Double(text)!), "\(text)")
        }
    }

    @Test func boolsTakeTheUsualWordsInAnyCase() {
        for text in ["true", "TRUE", "True", "t", "T", "yes", "YES", "1"] { #expect(parse(text, .bool) == .bool(true), "\(text)") }
        for text in ["false", "False", "f", "F", "no", "No", "0"] { #expect(parse(text, .bool) == .bool(false), "\(text)") }
        for text in ["2", "y", "n", "on", "off", "truth", "maybe", "tru e", "ｔrue"] { #expect(parse(text, .bool) == nil, "\(text)") }
        #expect(reason("maybe", .bool) == "'maybe' is not a bool; write true/false, t/f, yes/no or 1/0")
    }

    @Test func stringsAndCategoriesKeepAnyTextAsWritten() {
        #expect(parse(" padded ", .string) == .string(" padded "))
        #expect(parse("gold", .category) == .string("gold"))
        #expect(parse("\"", .string) == .string("\""))
    }

    @Test func csvFieldsTellMissingFromEmpty() throws {
        #expect(try ValueParser.parse(csvField: nil, as: .string) == .null)
        #expect(try ValueParser.parse(csvField: "", as: .string) == .string(""))
        #expect(try ValueParser.parse(csvField: "", as: .category) == .string(""))
        #expect(try ValueParser.parse(csvField: "", as: .int) == .null)
        #expect(try ValueParser.parse(csvField: "7", as: .int) == .int(7))
    }

    @Test func longBadValuesAreShortenedInMessages() {
        let long = String(repeating: "z", count: 500)
        #expect(reason(long, .int) == "'\(String(repeating: "z", count: 40))…' is not an integer; write digits with an optional sign, such as -42")
    }

    @Test func errorsCarryNoLocationUntilLocated() {
        let error = thrownTabularError { try ValueParser.parse("x", as: .int) }
        #expect(error?.line == nil && error?.column == nil)
        #expect(error?.located(line: 3, column: "n").message.hasPrefix("Line 3, column 'n': 'x' is not an integer") == true)
    }
}
