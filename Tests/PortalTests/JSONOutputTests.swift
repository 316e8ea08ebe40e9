import Foundation
import Platform
import Tabular
import Testing

@testable import Portal
@testable import WebServer

/// ``JSONOutput`` must write what the API's `JSONEncoder` writes for the same values, byte for byte, so the online
/// read answer (written by hand for speed) cannot be told from every other answer.
@Suite struct JSONOutputTests {
    /// What `APIResponse.json` writes for `value`.
    private func foundation(_ value: some Encodable) throws -> String {
        guard case .bytes(let bytes) = try APIResponse.json(value).body.storage else { throw CancellationError() }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func written(_ body: (inout JSONOutput) -> Void) -> String {
        var json = JSONOutput()
        body(&json)
        return String(decoding: json.bytes, as: UTF8.self)
    }

    @Test func numbersMatchTheAPIEncoder() throws {
        var doubles: [Double] = [0, -0.0, 1, -1, 0.1, 1e-7, 2.5e-5, 1e15, 1e16, 1e21, 1.234_567_890_123_456_8e17, 3.14159, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 100, 0.5]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            doubles.append(Double(bitPattern: generator.next()))
            doubles.append(Double.random(in: -1e6...1e6))
            doubles.append(Double(Int.random(in: -1_000_000...1_000_000)))
        }
        doubles = doubles.filter(\.isFinite)
        let integers: [Int64] = [0, 1, -1, .max, .min] + (0..<500).map { _ in Int64.random(in: .min ... .max) }
        #expect(written { json in json.beginArray(); for value in doubles { json.number(value) }; json.endArray() } == (try foundation(doubles)))
        #expect(written { json in json.beginArray(); for value in integers { json.number(value) }; json.endArray() } == (try foundation(integers)))
        #expect(written { $0.number(Double.nan) } == "null")
        #expect(written { $0.number(-Double.infinity) } == "null")
    }

    @Test func stringsMatchTheAPIEncoder() throws {
        var strings = ["", "plain", "a\"b\\c/d", "\n\t\r\u{8}\u{c}", "\u{0}\u{1}\u{1f}\u{7f}", "é😀\u{2028}\u{2029}", "</script>"]
        for _ in 0..<500 {
            let scalars = (0..<Int.random(in: 0...20)).compactMap { _ in
                Unicode.Scalar([0, 0x20, 0x7f, 0xe9, 0x2028, 0x1f600][Int.random(in: 0...5)] + UInt32.random(in: 0...40))
            }
            strings.append(String(String.UnicodeScalarView(scalars)))
        }
        #expect(written { json in json.beginArray(); for text in strings { json.string(text) }; json.endArray() } == (try foundation(strings)))
    }

    @Test func datesMatchTheAPIEncoderRoundedDownToTheSecond() throws {
        // From 1600 on: before the Gregorian reform (1582) Foundation switches to the Julian calendar, while RFC 3339
        // and JSONOutput keep the proleptic Gregorian one (0001-01-01 is 0001-01-03 to Foundation).
        var dates = [0, -1.5, 951_782_400, 1_767_225_600.999_999, 4_102_444_799, -11_676_096_000, 253_402_300_799].map(Date.init(timeIntervalSince1970:))
        for _ in 0..<1_000 { dates.append(Date(timeIntervalSince1970: Double.random(in: -11_676_096_000...253_402_300_799))) }
        #expect(written { json in json.beginArray(); for date in dates { json.date(date) }; json.endArray() } == (try foundation(dates)))
        #expect(written { $0.date(Date(timeIntervalSince1970: -62_135_596_800)) } == #""0001-01-01T00:00:00Z""#)
        #expect(written { $0.date(nil) } == "null")
    }

    @Test func anOnlineAnswerIsTheDocumentTheSchemaDescribes() throws {
        let time = Date(timeIntervalSince1970: 1_767_225_600)
        let answer = OnlineReadResponse(
            features: ["profile:b", "profile:a\"x"],
            rows: [["customer_id": .string("c\n1"), "region": .number("7")], ["customer_id": .bool(true)]],
            results: [
                FeatureStore.OnlineResult(
                    values: [
                        "profile:b": .init(value: .float(0.5), eventTime: time, status: .present),
                        "profile:a\"x": .init(value: .timestamp(microseconds: 1_500_000), eventTime: time, status: .expired),
                    ],
                    isFound: true
                ),
                FeatureStore.OnlineResult(values: ["profile:b": .init(value: .null, eventTime: nil, status: .missing)], isFound: false),
            ]
        )
        let text = String(decoding: answer.bytes(), as: UTF8.self)
        #expect(
            text == #"{"features":["profile:b","profile:a\"x"],"results":[{"entity":{"customer_id":"c\n1","region":"7"},"found":true,"#
                + #""values":{"profile:a\"x":{"event_time":"2026-01-01T00:00:00Z","status":"expired","value":"1970-01-01T00:00:01.500000Z"},"#
                + #""profile:b":{"event_time":"2026-01-01T00:00:00Z","status":"present","value":0.5}}},"#
                + #"{"entity":{"customer_id":"true"},"found":false,"values":{"profile:b":{"event_time":null,"status":"missing","value":null}}}]}"#
        )
        #expect(try JSONSerialization.jsonObject(with: Data(answer.bytes())) is [String: Any])
    }
}
