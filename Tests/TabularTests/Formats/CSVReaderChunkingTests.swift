import Tabular
import Testing

@Suite struct CSVReaderChunkingTests {
    /// An input that exercises every scanner state: BOM, CRLF and LF, empty lines, quotes, doubled quotes, line breaks
    /// inside quotes, empty and quoted-empty fields, a ragged row, a stray quote, text after a closing quote, invalid
    /// UTF-8, and a last record without a line end.
    static let trickyInput: [UInt8] =
        [0xEF, 0xBB, 0xBF] + Array("id,name,note\r\n\r\n1,\"Doe, J\",\"say \"\"hi\"\"\"\n".utf8)
        + Array("2,,\"\"\r\n3,\"two\r\nlines\",x\n\n4,ragged\n5,O\"Neil,y\n6,\"a\"b,z\n7,caf".utf8) + [0xC3]
        + Array(",w\n8,\"\"\"\",\"end\"\r\n9,é,last".utf8)

    @Test func trickyInputReadsAsExpected() {
        let result = readCSV(Self.trickyInput)
        #expect(result.error == nil)
        #expect(result.header == ["id", "name", "note"])
        #expect(
            result.records == [
                CSVRecord(line: 3, fields: ["1", "Doe, J", "say \"hi\""]),
                CSVRecord(line: 4, fields: ["2", nil, ""]),
                CSVRecord(line: 5, fields: ["3", "two\r\nlines", "x"]),
                CSVRecord(line: 12, fields: ["8", "\"", "end"]),
                CSVRecord(line: 13, fields: ["9", "é", "last"]),
            ]
        )
        #expect(result.problems.map(\.code) == [.raggedRow, .strayQuote, .textAfterClosingQuote, .invalidUTF8])
        #expect(result.problems.map(\.line) == [8, 9, 10, 11])
    }

    @Test func everySingleSplitPointGivesIdenticalEvents() {
        let whole = readCSV(Self.trickyInput)
        for split in 0...Self.trickyInput.count {
            #expect(readCSV(Self.trickyInput, boundaries: [split]) == whole, "split at byte \(split)")
        }
    }

    @Test func everyPairOfSplitPointsGivesIdenticalEvents() {
        let input = Array(Self.trickyInput.prefix(70))
        let whole = readCSV(input)
        for first in 0...input.count {
            for second in first...input.count where readCSV(input, boundaries: [first, second]) != whole {
                Issue.record("splits at \(first) and \(second) differ")
            }
        }
    }

    @Test func oneByteChunksGiveIdenticalEvents() {
        let boundaries = Array(1..<Self.trickyInput.count)
        #expect(readCSV(Self.trickyInput, boundaries: boundaries) == readCSV(Self.trickyInput))
    }

    @Test func fatalErrorsAreTheSameWhateverTheSplit() {
        let input = Array("a,b\n1,\"open\nstill open".utf8)
        let whole = readCSV(input)
        #expect(whole.error?.code == .unterminatedQuote)
        for split in 0...input.count {
            #expect(readCSV(input, boundaries: [split]) == whole, "split at byte \(split)")
        }
    }

    @Test func carriageReturnAtAChunkEndWaitsForTheNextByte() {
        let input = Array("a,b\r\n1,2\r\n\"3\",\"4\"\r\n".utf8)
        for offset in input.indices where input[offset] == 0x0D {
            let result = readCSV(input, boundaries: [offset + 1])
            #expect(result.problems.isEmpty)
            #expect(result.rows == [["1", "2"], ["3", "4"]])
        }
    }

    @Test func severalMegabytesStreamedIn64KiBChunksKeepTheBufferSmall() throws {
        let chunkSize = 64 * 1024
        var input: [UInt8] = Array("id,amount,label,note\n".utf8)
        var rowCount = 0
        while input.count < 4_000_000 {
            rowCount += 1
            let note = rowCount % 7 == 0 ? "\"multi\nline, \"\"quoted\"\"\"" : "plain"
            input += Array("\(rowCount),\(rowCount * 37 % 10_000).25,label\(rowCount % 13),\(note)\n".utf8)
        }
        var reader = CSVReader()
        var largestBuffer = 0
        var records = 0
        var amountSum = 0.0
        var lastLine = 0
        func drain() throws {
            while let event = try reader.next() {
                guard case .record(let record) = event else { continue }
                records += 1
                amountSum += Double(record[1] ?? "") ?? 0
                lastLine = record.line
            }
        }
        var start = 0
        while start < input.count {
            let end = min(start + chunkSize, input.count)
            try reader.feed(input[start..<end])
            largestBuffer = max(largestBuffer, reader.bufferedByteCount)
            try drain()
            start = end
        }
        reader.finish()
        try drain()
        #expect(records == rowCount)
        #expect(lastLine == rowCount + 1 + (rowCount - 1) / 7)
        var expectedSum = 0.0
        for row in 1...rowCount { expectedSum += Double(row * 37 % 10_000) + 0.25 }
        #expect(amountSum == expectedSum)
        #expect(largestBuffer <= chunkSize + 100)
    }
}
