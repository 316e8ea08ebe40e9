import Tabular
import Testing

@Suite struct JSONLinesReaderTests {
    @Test func readsFlatObjectsKeepingKeyOrderAndNumbersAsWritten() {
        let result = readJSONLines(
            #"{"id": 1, "name": "Ada", "score": -0.5e3, "active": true, "note": null}"# + "\n" + #"{"b":false,"a":12345678901234567890}"#
        )
        #expect(result.error == nil)
        #expect(
            result.records == [
                JSONLinesRecord(
                    line: 1,
                    fields: [
                        JSONField(key: "id", value: .number("1")), JSONField(key: "name", value: .string("Ada")),
                        JSONField(key: "score", value: .number("-0.5e3")), JSONField(key: "active", value: .bool(true)),
                        JSONField(key: "note", value: .null),
                    ]
                ),
                JSONLinesRecord(
                    line: 2,
                    fields: [JSONField(key: "b", value: .bool(false)), JSONField(key: "a", value: .number("12345678901234567890"))]
                ),
            ]
        )
    }

    @Test func blankLinesAreSkippedAndLinesAreCounted() {
        let result = readJSONLines("\n{\"a\":1}\r\n  \t\n\r\n{\"a\":2}\n\n")
        #expect(result.records.map(\.line) == [2, 5])
        #expect(result.problems.isEmpty)
    }

    @Test func byteOrderMarkAndMissingFinalLineEndAreFine() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("{\"a\":\"x\"}\n{\"a\":\"y\"}".utf8)
        let result = readJSONLines(bytes, boundaries: [1])
        #expect(result.records.map { $0["a"] } == [.string("x"), .string("y")])
    }

    @Test func emptyObjectIsARecordWithoutFields() {
        #expect(readJSONLines("{}\n { } \n").records == [JSONLinesRecord(line: 1, fields: []), JSONLinesRecord(line: 2, fields: [])])
    }

    @Test func stringEscapesAreDecoded() {
        let line = #"{"s": "q\" b\\ s\/ \b\f\n\r\t \u00e9 \ud83d\ude00 \u0041", "k\u00e9y": "plain"}"#
        let record = readJSONLines(line).records.first
        #expect(record?["s"] == .string("q\" b\\ s/ \u{8}\u{C}\n\r\t é 😀 A"))
        #expect(record?["kéy"] == .string("plain"))
    }

    @Test func nestedObjectOrArrayIsARowProblemNamingTheKey() {
        let result = readJSONLines("{\"id\":1,\"address\":{\"city\":\"Muscat\"}}\n{\"id\":2,\"tags\":[1,2]}\n{\"id\":3}\n")
        #expect(result.problems.map(\.code) == [.nestedValue, .nestedValue])
        #expect(result.problems.map(\.column) == ["address", "tags"])
        #expect(
            result.problems.first?.message
                == "Line 1, column 'address': the value is an object; nested objects and arrays are not supported, so flatten them into separate keys"
        )
        #expect(result.records.map(\.line) == [3])
    }

    @Test func duplicateKeyIsARowProblem() {
        let small = readJSONLines(#"{"a":1,"b":2,"a":3}"#)
        #expect(small.problems.first?.code == .duplicateKey)
        #expect(small.problems.first?.message == "Line 1, column 'a': the key appears more than once in the object")
        let manyKeys = (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        #expect(readJSONLines("{\(manyKeys),\"k7\":0}").problems.first?.column == "k7")
        #expect(readJSONLines("{\(manyKeys)}").records.first?.fields.count == 40)
    }

    @Test func duplicateKeysAreFoundWhenEarlierLinesHadTheSameKeys() {
        let lines = [#"{"a":1,"b":2,"c":3}"#, #"{"a":1,"b":2,"a":3}"#, #"{"a":1,"a":2}"#, #"{"b":1,"a":2}"#, #"{"b":1,"a":2,"b":3}"#]
        let result = readJSONLines(lines.joined(separator: "\n"))
        #expect(result.problems.map(\.line) == [2, 3, 5])
        #expect(result.problems.map(\.column) == ["a", "a", "b"])
        #expect(result.records.map(\.line) == [1, 4])
    }

    @Test(arguments: [
        #"{"a":1,}"#, #"{'a':1}"#, #"{a:1}"#, #"{"a" 1}"#, #"[1,2]"#, #"{"a":1} {"b":2}"#, #"{"a":NaN}"#, #"{"a":01}"#,
        #"{"a":1.}"#, #"{"a":.5}"#, #"{"a":+1}"#, #"{"a":"\ud800"}"#, #"{"a":"\x"}"#, #"{"a":"unclosed}"#, #"{"a":tru}"#,
        #"{"a":1"#, "{\"a\":\"tab\there\"}", #"42"#, #"{"a":1e}"#, #"{"a":-}"#,
    ])
    func invalidJSONIsARowProblem(line: String) {
        let result = readJSONLines(line + "\n{\"ok\":1}\n")
        #expect(result.error == nil)
        #expect(result.problems.map(\.code) == [.invalidJSON], "\(line)")
        #expect(result.problems.first?.message.hasPrefix("Line 1: the line is not valid JSON: ") == true)
        #expect(result.records.map(\.line) == [2])
    }

    @Test func emptyKeyIsARowProblem() {
        #expect(readJSONLines(#"{"":1}"#).problems.first?.code == .invalidColumnName)
    }

    @Test func invalidUTF8IsARowProblemNamingTheKey() {
        let bytes = Array("{\"name\":\"caf".utf8) + [0xC3] + Array("\"}\n{\"name\":\"café\"}\n".utf8)
        let result = readJSONLines(bytes)
        #expect(result.problems.map(\.message) == ["Line 1, column 'name': the value is not valid UTF-8 text"])
        #expect(result.records.first?["name"] == .string("café"))
    }

    @Test func tooManyKeysOrTooLongAStringIsARowProblem() {
        let limits = ReaderLimits(maxColumns: 2, maxFieldBytes: 5)
        let result = readJSONLines(#"{"a":1,"b":2,"c":3}"# + "\n" + #"{"a":"123456"}"# + "\n" + #"{"a":"12345","b":"1\n"}"#, limits: limits)
        #expect(result.problems.map(\.code) == [.tooManyColumns, .fieldTooLong])
        #expect(result.records.count == 1)
    }

    @Test func lineOverTheRecordLimitIsFatalBeforeItIsBufferedWhole() throws {
        let limits = ReaderLimits(maxRecordBytes: 1_000)
        #expect(readJSONLines(#"{"a":""# + String(repeating: "x", count: 990) + "\"}\n", limits: limits).records.count == 1)
        var reader = JSONLinesReader(limits: limits)
        try reader.feed(Array("{\"ok\":1}\n{\"a\":\"".utf8))
        #expect(try reader.next() != nil)
        var error: TabularError?
        for _ in 0..<10 where error == nil {
            error = thrownTabularError {
                try reader.feed([UInt8](repeating: UInt8(ascii: "x"), count: 300))
                return try reader.next()
            }
            #expect(reader.bufferedByteCount < 1_400)
        }
        #expect(error?.message == "Line 2: the line is longer than the limit of 1,000 bytes")
        #expect(thrownTabularError { try reader.next() } == error)
    }

    @Test func everySplitPointGivesIdenticalEvents() {
        let input: [UInt8] =
            [0xEF, 0xBB, 0xBF] + Array(#"{"a":"x\"y","b":[1]}"#.utf8) + [0x0D, 0x0A, 0x0A]
            + Array(#"{"a":"é\u00e9","b":-1.5e+3,"c":null}"#.utf8) + [0x0A] + Array(#"{"a":true,"a":false}"#.utf8) + [0x0D, 0x0A]
            + Array(#"{"z":"last"}"#.utf8)
        let whole = readJSONLines(input)
        #expect(whole.records.map(\.line) == [3, 5])
        #expect(whole.problems.map(\.code) == [.nestedValue, .duplicateKey])
        for split in 0...input.count {
            #expect(readJSONLines(input, boundaries: [split]) == whole, "split at byte \(split)")
        }
        #expect(readJSONLines(input, boundaries: Array(1..<input.count)) == whole)
    }

    @Test func keysMayDifferBetweenLinesAndAMissingKeyIsAMissingValue() throws {
        let columns = [Column(name: "id", type: .int), Column(name: "plan", type: .category), Column(name: "at", type: .timestamp)]
        let result = readJSONLines(#"{"id":1,"plan":"pro"}"# + "\n" + #"{"at":"2026-01-31","id":"2"}"# + "\n" + #"{"plan":null,"id":3.0}"#)
        let values = try result.records.map { try $0.values(for: columns) }
        #expect(
            values == [
                [.int(1), .string("pro"), .null],
                [.int(2), .null, .timestamp(microseconds: 1_769_817_600_000_000)],
                [.int(3), .null, .null],
            ]
        )
    }

    @Test func unknownKeysAreAnErrorUnlessIgnored() throws {
        let record = JSONLinesRecord(line: 9, fields: [JSONField(key: "id", value: .number("1")), JSONField(key: "extra", value: .null)])
        let columns = [Column(name: "id", type: .int)]
        let error = thrownTabularError { try record.values(for: columns) }
        #expect(error?.code == .unknownColumn)
        #expect(error?.message == "Line 9: the object has a key the table does not: 'extra'")
        #expect(try record.values(for: columns, ignoringUnknownKeys: true) == [.int(1)])
    }

    @Test func valueErrorsNameTheLineAndKey() {
        let record = JSONLinesRecord(line: 4, fields: [JSONField(key: "age", value: .number("41.5"))])
        let error = thrownTabularError { try record.values(for: [Column(name: "age", type: .int)]) }
        #expect(error?.message == "Line 4, column 'age': the number 41.5 is not a whole number; int columns take whole numbers")
    }

    @Test func feedingAfterFinishIsRefused() {
        var reader = JSONLinesReader()
        reader.finish()
        #expect(thrownTabularError { try reader.feed([0x7B]) }?.code == .readerMisuse)
    }
}
