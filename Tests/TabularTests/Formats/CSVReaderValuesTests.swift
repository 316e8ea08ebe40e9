import Tabular
import Testing

/// ``CSVReader/nextValues(for:)`` parses typed values straight from the input; it must give what ``CSVReader/next()``
/// followed by ``CSVRecord/values(for:)`` gives, record for record and error for error.
@Suite("CSV reader: typed values")
struct CSVReaderValuesTests {
    static let columns = [
        Column(name: "id", type: .string), Column(name: "n", type: .int), Column(name: "x", type: .float), Column(name: "ok", type: .bool),
        Column(name: "at", type: .timestamp), Column(name: "plan", type: .category),
    ]

    /// The text way: every record's `values(for:)`, or its error; malformed records as rejected.
    static func readAsText(_ bytes: [UInt8], boundaries: [Int], columns: [Column]) -> [CSVValuesEvent] {
        readCSV(bytes, boundaries: boundaries).events.compactMap { event in
            switch event {
            case .header: nil
            case .malformed(let error): .rejected(error)
            case .record(let record):
                if let error = thrownTabularError({ try record.values(for: columns) }) { .rejected(error) } else {
                    .record(line: record.line, values: try! record.values(for: columns))
                }
            }
        }
    }

    /// The fast way: the header with `next()`, then `nextValues(for:)`, fed in the same pieces.
    static func readAsValues(_ bytes: [UInt8], boundaries: [Int], columns: [Column]) -> [CSVValuesEvent] {
        var reader = CSVReader()
        var events: [CSVValuesEvent] = []
        func drain() throws {
            while true {
                if reader.header == nil {
                    guard try reader.next() != nil else { return }
                } else {
                    guard let event = try reader.nextValues(for: columns) else { return }
                    events.append(event)
                }
            }
        }
        do {
            var start = 0
            for end in boundaries + [bytes.count] where end >= start {
                try reader.feed(bytes[start..<end])
                start = end
                try drain()
            }
            reader.finish()
            try drain()
        } catch {
            events.append(.rejected(error as! TabularError))  // the fatal error, compared with the text way's below
        }
        return events
    }

    static func expectSameOutcome(_ bytes: [UInt8], boundaries: [Int] = [], columns: [Column] = columns, sourceLocation: SourceLocation = #_sourceLocation) {
        var expected = readAsText(bytes, boundaries: boundaries, columns: columns)
        if let fatal = readCSV(bytes, boundaries: boundaries).error { expected.append(.rejected(fatal)) }
        let actual = readAsValues(bytes, boundaries: boundaries, columns: columns)
        #expect(actual == expected, "\(String(decoding: bytes, as: UTF8.self).debugDescription)", sourceLocation: sourceLocation)
    }

    @Test func recordsAndErrorsMatchTheTextPath() {
        let text = "id,n,x,ok,at,plan\n"
            + "c1,34,0.5,true,2026-01-05,pro\n"
            + "\"c2\", 41 ,\"1.25\",F,2026-02-10T09:30:00Z,\"\"\n"
            + ",,,,,\n"
            + "\"\",\"\",\"\",\"\",\"\",\"\"\n"
            + "c3,4x,1,yes,2026-02-30,free\n"
            + "c4,1,nan,true,2026-01-01,free\n"
            + "\"c\"\"5\",2,3,maybe,2026-01-01,\"a,b\"\n"
            + "c6,\"1\"\"2\",3,true,2026-01-01,x\n"
            + "c7,1,2\n"
            + "c8,1,2,true,2026-01-01,free,extra\n"
            + "c9,1,2,true,2026-01-01 12:30:00.1234567+04:00,\"two\nlines\"\n"
            + "c10,99999999999999999999,1e309,no,1970-01-01,x\n"
            + "c\"11,1,2,true,2026-01-01,x\r\n"
            + "c12,١٢,2,true,2026-01-01,x\n"
        Self.expectSameOutcome(Array(text.utf8))
        Self.expectSameOutcome(Array(text.utf8), columns: Array(Self.columns.prefix(5)))  // every record ragged for the columns
    }

    @Test func invalidUTF8IsReportedBeforeAValueThatDoesNotParse() {
        var bytes = Array("id,n,x,ok,at,plan\nc1,bad,1,true,2026-01-01,".utf8)
        bytes += [0xC3, 0x28] + Array("\nc2,1,1,true,2026-01-01,x\n".utf8)
        bytes += Array("c3,".utf8) + [0xFF] + Array(",1,true,2026-01-01,x\n".utf8)
        Self.expectSameOutcome(bytes)
    }

    @Test func randomInputsSplitAnywhereMatchTheTextPath() {
        var generator = SystemRandomNumberGenerator()
        let pieces: [[UInt8]] = [
            "1", "-7", " 12 ", "0.25", ".5", "1e3", "x", "true", "no", "2026-03-01", "2026-03-01T10:00:00Z", "\"", "\"\"", ",", "\n", "\r\n",
            "\r", "é", "pro", "", "\t", "9223372036854775808", "-0", "inf",
        ].map { Array($0.utf8) } + [[0xFF], [0xE2, 0x82]]
        // Mostly values that convert (so that whole records do), with junk mixed in.
        let valid: [[String]] = [
            ["c1", "\"c\"\"2\"", "é", "\"a,b\"", "\"\""], ["1", "-7", " 12 ", "\"3\"", ""], ["0.25", ".5", "1e3", "-2", "\"\""],
            ["true", "no", "T", "0", ""], ["2026-03-01", "2026-03-01T10:00:00Z", "2026-03-01 10:00:00.5+04:00", ""], ["pro", "free", "", "\"\""],
        ]
        for _ in 0..<200 {
            var bytes = Array("id,n,x,ok,at,plan\n".utf8)
            for _ in 0..<Int.random(in: 1...30, using: &generator) {
                for column in 0..<6 {
                    if column > 0 { bytes.append(UInt8(ascii: ",")) }
                    if Int.random(in: 0..<10, using: &generator) < 8 {
                        bytes += Array(valid[column].randomElement(using: &generator)!.utf8)
                        continue
                    }
                    for _ in 0..<Int.random(in: 0...2, using: &generator) { bytes += pieces.randomElement(using: &generator)! }
                }
                bytes.append(UInt8(ascii: "\n"))
            }
            let boundaries = (0..<Int.random(in: 0...5, using: &generator)).map { _ in Int.random(in: 0...bytes.count, using: &generator) }.sorted()
            Self.expectSameOutcome(bytes, boundaries: boundaries)
        }
    }

    @Test func valuesBeforeTheHeaderAreAMisuse() {
        var reader = CSVReader()
        #expect(thrownTabularError { try reader.nextValues(for: Self.columns) }?.code == .readerMisuse)
    }
}
