import Tabular
import Testing

@Suite struct CSVWriterTests {
    private func text(_ writer: inout CSVWriter) -> String {
        String(decoding: writer.takeBytes(), as: UTF8.self)
    }

    @Test func writesTheHeaderAndQuotesOnlyWhenNeeded() throws {
        var writer = try CSVWriter(header: ["id", "note"])
        try writer.write(["1", "plain text"])
        try writer.write(["2", "a, b"])
        try writer.write(["3", "say \"hi\""])
        try writer.write(["4", "two\nlines"])
        try writer.write(["5", "cr\rhere"])
        try writer.write(["6", ""])
        try writer.write(["7", nil])
        try writer.write([" 8 ", "é 🙂"])
        let expected = [
            "id,note", "1,plain text", "2,\"a, b\"", #"3,"say ""hi""""#, "4,\"two\nlines\"", "5,\"cr\rhere\"", "6,\"\"", "7,", " 8 ,é 🙂", "",
        ]
        #expect(text(&writer) == expected.joined(separator: "\r\n"))
    }

    @Test func lineFeedLineEndingIsAvailable() throws {
        var writer = try CSVWriter(header: ["a", "b"], lineEnding: .lf)
        try writer.write(["1", nil])
        #expect(text(&writer) == "a,b\n1,\n")
    }

    @Test func typedValuesAreWrittenInCanonicalText() throws {
        var writer = try CSVWriter(header: ["v"], lineEnding: .lf)
        let values: [TabularValue] = [
            .int(-42), .int(.max), .float(0.1), .float(1.0), .float(-0.0), .float(1e20), .float(.leastNonzeroMagnitude), .float(123.456),
            .bool(true), .bool(false), .string("x,y"), .timestamp(microseconds: 1_769_862_600_000_000),
            .timestamp(microseconds: 1_769_862_600_250_000), .timestamp(microseconds: -1), .null,
        ]
        for value in values { try writer.write([value]) }
        #expect(
            text(&writer).split(separator: "\n", omittingEmptySubsequences: false) == [
                "v", "-42", "9223372036854775807", "0.1", "1.0", "-0.0", "1e+20", "5e-324", "123.456", "true", "false", "\"x,y\"",
                "2026-01-31T12:30:00Z", "2026-01-31T12:30:00.250000Z", "1969-12-31T23:59:59.999999Z", "\"\"", "",
            ]
        )
    }

    @Test func missingValueInAOneColumnFileIsWrittenAsQuotedEmptySoTheLineIsNotSkipped() throws {
        var writer = try CSVWriter(header: ["only"], lineEnding: .lf)
        try writer.write([nil])
        #expect(text(&writer) == "only\n\"\"\n")
    }

    @Test func rowOfTheWrongWidthIsRefused() throws {
        var writer = try CSVWriter(header: ["a", "b"])
        let error = thrownTabularError { try writer.write(["1"]) }
        #expect(error?.code == .raggedRow)
        #expect(error?.message == "A row of 1 value cannot be written under a header of 2 columns")
        #expect(thrownTabularError { try writer.write([TabularValue.int(1), .int(2), .int(3)]) }?.code == .raggedRow)
    }

    @Test func invalidHeaderIsRefused() {
        #expect(thrownTabularError { try CSVWriter(header: ["a", "a"]) }?.code == .invalidColumnName)
        #expect(thrownTabularError { try CSVWriter(header: ["a", " "]) }?.code == .invalidColumnName)
        #expect(thrownTabularError { try CSVWriter(header: [" a"]) }?.message == "The name of column 1, ' a', has leading or trailing spaces")
    }

    @Test func takeBytesDrainsTheBuffer() throws {
        var writer = try CSVWriter(header: ["a"])
        #expect(writer.bufferedByteCount == 3)
        #expect(writer.takeBytes() == Array("a\r\n".utf8))
        #expect(writer.bufferedByteCount == 0)
        try writer.write(["b"])
        #expect(writer.takeBytes() == Array("b\r\n".utf8))
    }

    @Test func textRoundTripsThroughTheReaderKeepingEmptyAndMissingApart() throws {
        let header = ["id", "text", "other"]
        let rows: [[String?]] = [
            ["1", "plain", nil], ["2", "", "x"], ["3", "comma, inside", "\"quoted\""], ["4", "line\nbreak", "crlf\r\nbreak"],
            ["5", "\"", "\"\""], ["6", " padded ", "tab\t"], ["7", "ünïcødé 🙂", ","], [nil, nil, nil], ["9", "\r", "\n"],
        ]
        for lineEnding in [CSVWriter.LineEnding.crlf, .lf] {
            var writer = try CSVWriter(header: header, lineEnding: lineEnding)
            for row in rows { try writer.write(row) }
            let bytes = writer.takeBytes()
            for chunkSize in [1, 3, 64, bytes.count] {
                let result = readCSV(bytes, boundaries: Array(stride(from: chunkSize, to: bytes.count, by: chunkSize)))
                #expect(result.error == nil)
                #expect(result.header == header)
                #expect(result.problems.isEmpty)
                #expect(result.rows == rows, "line ending \(lineEnding), chunks of \(chunkSize)")
            }
        }
    }

    @Test func typedValuesRoundTripExactly() throws {
        let columns = [
            Column(name: "i", type: .int), Column(name: "f", type: .float), Column(name: "b", type: .bool),
            Column(name: "s", type: .string), Column(name: "t", type: .timestamp), Column(name: "c", type: .category),
        ]
        let rows: [[TabularValue]] = [
            [.int(.min), .float(0.1 + 0.2), .bool(true), .string(""), .timestamp(microseconds: 0), .string("gold")],
            [.int(0), .float(-0.0), .bool(false), .string("a\"b,c\nd"), .timestamp(microseconds: -62_135_596_800_000_000), .null],
            [.null, .float(.greatestFiniteMagnitude), .null, .null, .timestamp(microseconds: 253_402_300_799_999_999), .string("")],
            [.int(.max), .float(.leastNonzeroMagnitude), .bool(true), .string("🙂"), .null, .string("x")],
        ]
        var writer = try CSVWriter(header: columns.map(\.name))
        for row in rows { try writer.write(row) }
        let result = readCSV(writer.takeBytes())
        let readBack = try result.records.map { try $0.values(for: columns) }
        #expect(readBack == rows)
        if case .float(let negativeZero) = readBack[1][1] { #expect(negativeZero.sign == .minus) }
    }
}
