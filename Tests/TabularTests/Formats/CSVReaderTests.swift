import Tabular
import Testing

@Suite struct CSVReaderTests {
    @Test func firstRecordIsTheHeaderAndEachRecordKnowsItsLine() {
        let result = readCSV("id,name\n1,Ada\n2,Grace\n")
        #expect(result.error == nil)
        #expect(result.events.first == .header(["id", "name"]))
        #expect(result.records == [CSVRecord(line: 2, fields: ["1", "Ada"]), CSVRecord(line: 3, fields: ["2", "Grace"])])
    }

    @Test func crlfAndLfLineEndsReadTheSame() {
        let lf = readCSV("a,b\n1,2\n3,4\n")
        let crlf = readCSV("a,b\r\n1,2\r\n3,4\r\n")
        let mixed = readCSV("a,b\r\n1,2\n3,4\r\n")
        #expect(lf.rows == [["1", "2"], ["3", "4"]])
        #expect(crlf == lf)
        #expect(mixed == lf)
    }

    @Test func lastRecordMayLackALineEnd() {
        #expect(readCSV("a,b\n1,2\n3,4").rows == [["1", "2"], ["3", "4"]])
        #expect(readCSV("a,b\n1,2\n\"3\",\"4\"").rows == [["1", "2"], ["3", "4"]])
        #expect(readCSV("a,b\n1,").rows == [["1", nil]])
    }

    @Test func quotedFieldsHoldCommasDoubledQuotesAndLineBreaks() {
        let text = "name,quote,address\n\"Doe, Jane\",\"She said \"\"hi\"\"\",\"1 Main St\nApt 2\"\n\"x\",\"\"\"\",\"crlf\r\ninside\"\n"
        let result = readCSV(text)
        #expect(result.error == nil)
        #expect(result.rows == [["Doe, Jane", "She said \"hi\"", "1 Main St\nApt 2"], ["x", "\"", "crlf\r\ninside"]])
    }

    @Test func lineNumbersCountLineBreaksInsideQuotedFields() {
        let result = readCSV("a,b\n\"line 2\nline 3\nline 4\",x\n5,y\r\n\"6\r\n7\",z\n8,w")
        #expect(result.records.map(\.line) == [2, 5, 6, 8])
    }

    @Test func unquotedEmptyFieldIsMissingAndQuotedEmptyFieldIsEmptyString() {
        let result = readCSV("a,b,c,d\n,\"\",x,\n")
        #expect(result.rows == [[nil, "", "x", nil]])
    }

    @Test func byteOrderMarkAtTheStartIsSkipped() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("id,name\n1,a\n".utf8)
        #expect(readCSV(bytes).header == ["id", "name"])
        #expect(readCSV(bytes, boundaries: [1, 2]).header == ["id", "name"])
        #expect(readCSV(bytes, boundaries: [1, 2]).rows == [["1", "a"]])
    }

    @Test func byteOrderMarkLaterInTheFileIsData() {
        let bytes = Array("a\n".utf8) + [0xEF, 0xBB, 0xBF] + Array("x\n".utf8)
        #expect(readCSV(bytes).rows == [["\u{FEFF}x"]])
    }

    @Test func completelyEmptyLinesAreSkippedButStillCounted() {
        let result = readCSV("\n\r\na,b\n\n1,2\r\n\r\n\n3,4\n\n")
        #expect(result.header == ["a", "b"])
        #expect(result.records == [CSVRecord(line: 5, fields: ["1", "2"]), CSVRecord(line: 8, fields: ["3", "4"])])
    }

    @Test func lineOfSpacesIsNotEmpty() {
        let result = readCSV("a\n  \n")
        #expect(result.rows == [["  "]])
    }

    @Test func spacesAroundDataFieldsAreKept() {
        #expect(readCSV("a,b\n 1 , x \n").rows == [[" 1 ", " x "]])
    }

    @Test func headerNamesAreTrimmed() {
        #expect(readCSV(" id ,\tname\t\n1,2\n").header == ["id", "name"])
    }

    @Test func headerNamesMayBeQuoted() {
        #expect(readCSV("\"id\",\"first, last\",\"say \"\"x\"\"\"\n1,2,3\n").header == ["id", "first, last", "say \"x\""])
    }

    @Test func quotedEmptyFieldInANonTextColumnIsMissing() throws {
        let record = try #require(readCSV("n,s\n\"\",\"\"\n").records.first)
        #expect(try record.values(for: [Column(name: "n", type: .int), Column(name: "s", type: .string)]) == [.null, .string("")])
    }

    @Test func headerOnlyFileHasNoRecords() {
        let result = readCSV("a,b\n")
        #expect(result.error == nil)
        #expect(result.events == [.header(["a", "b"])])
    }

    @Test func emptyInputHasNoHeader() {
        for text in ["", "\n\n", "\r\n"] {
            let result = readCSV(text)
            #expect(result.error?.code == .missingHeader)
            #expect(result.error?.message == "The file is empty: it has no header line")
        }
        #expect(readCSV([0xEF, 0xBB, 0xBF]).error?.code == .missingHeader)
    }

    @Test func unicodeTextIsKept() {
        #expect(readCSV("città,名前\nnaïve,\"🙂, ok\"\n").rows == [["naïve", "🙂, ok"]])
    }

    @Test func recordsConvertToTypedValuesWithLocatedErrors() throws {
        let columns = [Column(name: "age", type: .int), Column(name: "name", type: .string), Column(name: "score", type: .float)]
        let result = readCSV("age,name,score\n42,\"\",1.5\n,Bo,\n4x,Al,2\n")
        #expect(try result.records[0].values(for: columns) == [.int(42), .string(""), .float(1.5)])
        #expect(try result.records[1].values(for: columns) == [.null, .string("Bo"), .null])
        let error = thrownTabularError { try result.records[2].values(for: columns) }
        #expect(error?.code == .invalidValue)
        #expect(error?.line == 4)
        #expect(error?.column == "age")
        #expect(error?.message == "Line 4, column 'age': '4x' is not an integer; write digits with an optional sign, such as -42")
    }

    @Test func valuesForTheWrongNumberOfColumnsIsRefused() {
        let record = CSVRecord(line: 2, fields: ["1"])
        #expect(thrownTabularError { try record.values(for: []) }?.code == .raggedRow)
    }

    @Test func headerIsAvailableOnTheReaderOnceRead() throws {
        var reader = CSVReader()
        #expect(reader.header == nil)
        try reader.feed(Array("x,y\n".utf8))
        _ = try reader.next()
        #expect(reader.header == ["x", "y"])
    }

    @Test func feedingAfterFinishIsRefused() throws {
        var reader = CSVReader()
        reader.finish()
        #expect(thrownTabularError { try reader.feed([UInt8(ascii: "a")]) }?.code == .readerMisuse)
    }
}
