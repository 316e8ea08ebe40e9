import Tabular
import Testing

@Suite struct CSVReaderProblemTests {
    @Test func raggedRowsAreReportedPerRowAndReadingGoesOn() {
        let result = readCSV("a,b\n1\n1,2,3\n4,5\n")
        #expect(result.error == nil)
        #expect(result.problems.map(\.code) == [.raggedRow, .raggedRow])
        #expect(
            result.problems.map(\.message) == [
                "Line 2: the row has 1 field but the header has 2 columns",
                "Line 3: the row has 3 fields but the header has 2 columns",
            ]
        )
        #expect(result.rows == [["4", "5"]])
    }

    @Test func quoteInsideAnUnquotedFieldIsARowProblemNamingLineAndColumn() {
        let result = readCSV("id,name\n1,O\"Brien\n2,ok\n")
        #expect(result.problems.count == 1)
        let problem = result.problems.first
        #expect(problem?.code == .strayQuote)
        #expect(problem?.line == 2)
        #expect(problem?.column == "name")
        #expect(problem?.message.hasPrefix("Line 2, column 'name': a quote appears inside an unquoted field") == true)
        #expect(result.records == [CSVRecord(line: 3, fields: ["2", "ok"])])
    }

    @Test func textAfterAClosingQuoteIsARowProblem() {
        let result = readCSV("id,name\n\"1\"x,a\n2,\"b\" \n3,c\n")
        #expect(result.problems.map(\.code) == [.textAfterClosingQuote, .textAfterClosingQuote])
        #expect(result.problems.map(\.column) == ["id", "name"])
        #expect(result.rows == [["3", "c"]])
    }

    @Test func bareCarriageReturnInADataRowIsARowProblem() {
        let result = readCSV("a,b\n1,x\ry\n2,z\n")
        #expect(result.problems.map(\.code) == [.bareCarriageReturn])
        #expect(result.problems.first?.column == "b")
        #expect(result.rows == [["2", "z"]])
    }

    @Test func carriageReturnOnlyFileIsRefusedAtTheHeader() {
        let result = readCSV("a,b\r1,2\r3,4\r")
        #expect(result.error?.code == .bareCarriageReturn)
        #expect(result.error?.message.contains("CR-only line ends are not supported") == true)
    }

    @Test func invalidUTF8InAFieldIsARowProblemNamingTheColumn() {
        let bytes = Array("id,bio\n1,caf".utf8) + [0xC3, 0x28] + Array("\n2,\"oké\"\n3,\"".utf8) + [0xFF] + Array("\"\n".utf8)
        let result = readCSV(bytes)
        #expect(result.error == nil)
        #expect(result.problems.map(\.code) == [.invalidUTF8, .invalidUTF8])
        #expect(result.problems.map(\.line) == [2, 4])
        #expect(result.problems.first?.message == "Line 2, column 'bio': the field is not valid UTF-8 text")
        #expect(result.rows == [["2", "oké"]])
    }

    @Test func invalidUTF8InTheHeaderIsFatal() {
        let result = readCSV(Array("id,n".utf8) + [0xFE] + Array("\n1,2\n".utf8))
        #expect(result.error?.code == .invalidUTF8)
        #expect(result.error?.line == 1)
    }

    @Test func unterminatedQuoteIsFatalAndNamesWhereTheFieldStarts() {
        let result = readCSV("id,name\n1,a\n2,\"Bob\n3,c\n")
        #expect(result.rows == [["1", "a"]])
        #expect(result.error?.code == .unterminatedQuote)
        #expect(result.error?.message == "Line 3, column 'name': the quoted field starting here is never closed")
    }

    @Test func headerWithTenThousandColumnsIsRefusedWithTheCountAndTheLimit() {
        let header = (1...10_000).map { "column\($0)" }.joined(separator: ",")
        let result = readCSV(header + "\n1,2\n")
        #expect(result.error?.code == .tooManyColumns)
        #expect(result.error?.message == "Line 1: the header has 10,000 columns; the limit is 1,000")
        #expect(result.events.isEmpty)
    }

    @Test func headerAtTheColumnLimitIsAccepted() {
        let header = (1...1_000).map { "c\($0)" }.joined(separator: ",")
        #expect(readCSV(header + "\n").header?.count == 1_000)
    }

    @Test func invalidHeaderNamesAreFatal() {
        #expect(readCSV("id,,name\n").error?.message == "Line 1: column 2 of the header has no name; every column needs one")
        #expect(readCSV("id,name,id\n").error?.message == "Line 1: the header names column 'id' twice (columns 1 and 3)")
        #expect(readCSV("a,\"b\"x\n").error?.code == .textAfterClosingQuote)
    }

    @Test func fieldOverTheDefaultOneMebibyteLimitIsFatal() {
        let big = String(repeating: "x", count: (1 << 20) + 1)
        let result = readCSV("id,bio\n1,\(big)\n", chunkSize: 64 * 1024)
        #expect(result.error?.code == .fieldTooLong)
        #expect(result.error?.message == "Line 2, column 'bio': the field is longer than the limit of 1 MiB (1,048,576 bytes)")
        #expect(readCSV("id,bio\n1,\(big.dropLast())\n", chunkSize: 64 * 1024).rows.first?[1]?.utf8.count == 1 << 20)
    }

    @Test func quotedFieldLimitCountsTheTextWithoutItsQuotes() {
        let limits = ReaderLimits(maxFieldBytes: 4)
        #expect(readCSV("a\n\"abcd\"\n", limits: limits).rows == [["abcd"]])
        #expect(readCSV("a\n\"abcde\"\n", limits: limits).error?.code == .fieldTooLong)
    }

    @Test func oversizedFieldIsRefusedBeforeItIsBufferedWhole() throws {
        let limits = ReaderLimits(maxFieldBytes: 1_000, maxRecordBytes: 100_000)
        var reader = CSVReader(limits: limits)
        try reader.feed(Array("a,b\n1,".utf8))
        _ = try reader.next()
        var error: TabularError?
        for _ in 0..<100 where error == nil {
            error = thrownTabularError {
                try reader.feed([UInt8](repeating: UInt8(ascii: "y"), count: 300))
                return try reader.next()
            }
            #expect(reader.bufferedByteCount < 1_400)
        }
        #expect(error?.code == .fieldTooLong)
        #expect(error?.column == "b")
    }

    @Test func recordOverTheLimitIsFatal() {
        let limits = ReaderLimits(maxFieldBytes: 100, maxRecordBytes: 50)
        let row = Array(repeating: "123456789", count: 6).joined(separator: ",")
        let result = readCSV("a,b,c,d,e,f\n\(row)\n", chunkSize: 7, limits: limits)
        #expect(result.error?.code == .recordTooLong)
        #expect(result.error?.message == "Line 2: the record is longer than the limit of 50 bytes")
    }

    @Test func fatalErrorsAreSticky() {
        var reader = CSVReader()
        let first = thrownTabularError {
            try reader.feed(Array("a,a\n".utf8))
            return try reader.next()
        }
        #expect(first?.code == .invalidColumnName)
        #expect(thrownTabularError { try reader.next() } == first)
        #expect(thrownTabularError { try reader.feed([0x41]) } == first)
    }

    @Test func rowBeyondTheHeaderWidthDoesNotStoreItsExtraFields() {
        let wide = Array(repeating: "1", count: 5_000).joined(separator: ",")
        let result = readCSV("a,b\n\(wide)\n3,4\n")
        #expect(result.problems.first?.message == "Line 2: the row has 5,000 fields but the header has 2 columns")
        #expect(result.rows == [["3", "4"]])
    }
}
