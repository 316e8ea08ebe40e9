import Tabular
import Testing

/// The typed ``CSVWriter/write(_:)-([TabularValue])`` writes values straight as bytes; these tests hold it to the
/// definition: exactly the bytes of writing each value's ``TabularValue/canonicalText``.
@Suite("CSV writer: typed values as canonical text")
struct CSVWriterCanonicalBytesTests {
    /// The typed writer's bytes and the text writer's bytes for the same rows.
    static func written(_ rows: [[TabularValue]]) throws -> (typed: [UInt8], text: [UInt8]) {
        let header = rows.first.map { $0.indices.map { "c\($0)" } } ?? ["c0"]
        var typed = try CSVWriter(header: header)
        var text = try CSVWriter(header: header)
        for row in rows {
            try typed.write(row)
            try text.write(row.map(\.canonicalText))
        }
        return (typed.takeBytes(), text.takeBytes())
    }

    /// Checks each value on its own, so a failure names it.
    static func expectSameBytes(_ values: [TabularValue], sourceLocation: SourceLocation = #_sourceLocation) throws {
        for value in values {
            let (typed, text) = try written([[value, .int(1)]])
            #expect(String(decoding: typed, as: UTF8.self) == String(decoding: text, as: UTF8.self), "\(value)", sourceLocation: sourceLocation)
        }
    }

    @Test func floatsAreWrittenAsSwiftsShortestRoundTripText() throws {
        var generator = SystemRandomNumberGenerator()
        var values: [Double] = [
            0, -0.0, 1, -1, 0.1, 0.2, 0.1 + 0.2, 12.3, 12.30, 0.001, 0.000_999_999, 0.0015, 1e-3, 1e15, 1e15 - 1, 999_999_999_999_999.9,
            1e15 - 0.125, 1e16, 1e-4, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude, 0x1p53, 0x1p53 - 1, 0x1p52 + 0.5,
            123_456_789.123_456_789, 2.5, 1.0 / 3.0, 100, 4_503_599_627_370_496.5, 0.123_456_789, 0.012_345_678_9,
        ]
        for _ in 0..<50_000 {
            let places = Int.random(in: 0...12, using: &generator)
            let digits = Int64.random(in: 0...(Bool.random(using: &generator) ? 1_000_000 : 1 << 54), using: &generator)
            var power = 1.0
            for _ in 0..<places { power *= 10 }
            values.append((Double(digits) / power) * (Bool.random(using: &generator) ? 1 : -1))
            values.append(Double(bitPattern: UInt64.random(in: 0...0x7FEF_FFFF_FFFF_FFFF, using: &generator)))
            values.append(Double.random(in: -1e6...1e6, using: &generator))
            values.append(Double(Int.random(in: -100_000...100_000, using: &generator)) / 100 + 0.1)
        }
        let (typed, text) = try Self.written(values.map { [TabularValue.float($0)] })
        #expect(typed == text)
        try Self.expectSameBytes(values.prefix(32).map { .float($0) })
    }

    @Test func integersTimestampsAndBoolsAreWrittenAsTheirCanonicalText() throws {
        var generator = SystemRandomNumberGenerator()
        var values: [TabularValue] = [
            .int(0), .int(-1), .int(.min), .int(.max), .int(1_000_000), .bool(true), .bool(false),
            .timestamp(microseconds: 0), .timestamp(microseconds: -1), .timestamp(microseconds: 1), .timestamp(microseconds: 1_767_225_600_000_000),
            .timestamp(microseconds: -62_135_596_800_000_000), .timestamp(microseconds: -62_135_596_800_000_001),
            .timestamp(microseconds: 253_402_300_799_999_999), .timestamp(microseconds: 253_402_300_800_000_000),
            .timestamp(microseconds: .max / 2), .timestamp(microseconds: .min / 2),
        ]
        for _ in 0..<20_000 {
            values.append(.int(Int64.random(in: .min ... .max, using: &generator)))
            values.append(.int(Int64.random(in: -1_000...1_000, using: &generator)))
            values.append(.timestamp(microseconds: Int64.random(in: -100_000_000_000_000_000...300_000_000_000_000_000, using: &generator)))
            values.append(.timestamp(microseconds: Int64.random(in: 0...4_000_000_000, using: &generator) * 1_000_000))
        }
        try Self.expectSameBytes(Array(values.prefix(17)))
        let (typed, text) = try Self.written(values.map { [$0, .null] })
        #expect(typed == text)
    }

    @Test func textAndMissingValuesKeepTheQuotingRules() throws {
        let rows: [[TabularValue]] = [
            [.string(""), .null, .string("plain"), .string("a,b"), .string("say \"hi\""), .string("two\nlines"), .string("cr\r")],
            [.string("é"), .string("🙂 long text that is not a small string, with a comma"), .null, .null, .string(" "), .string("x"), .null],
        ]
        let (typed, text) = try Self.written(rows)
        #expect(typed == text)
        let (single, singleText) = try Self.written([[.null], [.string("")], [.int(3)]])
        #expect(single == singleText)
        #expect(String(decoding: single, as: UTF8.self) == "c0\r\n\"\"\r\n\"\"\r\n3\r\n")
    }
}
