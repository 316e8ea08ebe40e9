import Foundation
import Tabular
import Testing

/// The stored JSON shape of statistics: pinned, round-trippable, and tolerant of absent optional and unknown fields.
@Suite struct ColumnStatisticsCodingTests {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<Value: Decodable>(_ type: Value.Type, from json: String) throws -> Value {
        try JSONDecoder().decode(type, from: Data(json.utf8))
    }

    static func summary(of type: ColumnType, _ values: [TabularValue]) -> ColumnStatistics {
        var accumulator = ColumnStatisticsAccumulator(type: type)
        for value in values {
            accumulator.add(value)
        }
        return accumulator.summary()
    }

    @Test func numericStatisticsHaveAPinnedJSONShape() throws {
        let statistics = Self.summary(of: .float, [.float(1), .null, .float(3)])
        let quantiles = [(0.01, 1), (0.05, 1), (0.25, 1), (0.5, 1), (0.75, 3), (0.95, 3), (0.99, 3)]
            .map { #"{"probability":\#($0.0),"value":\#($0.1)}"# }
            .joined(separator: ",")
        let counts = (["1"] + Array(repeating: "0", count: 18) + ["1"]).joined(separator: ",")
        let expected = #"{"count":3,"distinctCount":2,"isDistinctCountExact":true,"missing":1,"numeric":{"histogram":"#
            + #"{"counts":[\#(counts)],"lowerBound":1,"upperBound":3},"maximum":3,"mean":2,"minimum":1,"#
            + #""quantiles":[\#(quantiles)],"standardDeviation":1},"type":"float","version":1}"#
        #expect(try Self.encode(statistics) == expected)
    }

    @Test func textStatisticsLeaveOutTheOvercountOfExactCounts() throws {
        let statistics = Self.summary(of: .category, [.string("eu"), .string("us"), .string("eu")])
        let expected = #"{"count":3,"distinctCount":2,"isDistinctCountExact":true,"missing":0,"text":{"frequentValues":"#
            + #"[{"count":2,"value":"eu"},{"count":1,"value":"us"}],"maximumLength":2,"minimumLength":2},"#
            + #""type":"category","version":1}"#
        #expect(try Self.encode(statistics) == expected)
    }

    @Test(arguments: [
        (ColumnType.int, [TabularValue.int(4), .int(-2), .null]),
        (.float, [.float(0.25), .float(1e300), .float(-7.5)]),
        (.bool, [.bool(true), .null, .bool(false)]),
        (.string, [.string("naïve"), .string(""), .string("naïve")]),
        (.category, [.null, .null]),
        (.timestamp, [.timestamp(microseconds: -86_400_000_000), .timestamp(microseconds: 1_700_000_000_123_456)]),
    ])
    func everyColumnTypeRoundTripsThroughJSON(type: ColumnType, values: [TabularValue]) throws {
        let statistics = Self.summary(of: type, values)
        let decoded = try Self.decode(ColumnStatistics.self, from: try Self.encode(statistics))
        #expect(decoded == statistics)
        #expect(decoded.version == ColumnStatistics.currentVersion)
    }

    @Test func decodingToleratesAbsentOptionalSections() throws {
        let json = #"{"version":1,"type":"string","count":2,"missing":2,"distinctCount":0,"isDistinctCountExact":true}"#
        let statistics = try Self.decode(ColumnStatistics.self, from: json)
        #expect(statistics.count == 2)
        #expect(statistics.text == nil && statistics.numeric == nil && statistics.timestamp == nil && statistics.boolean == nil)
    }

    @Test func decodingToleratesAnAbsentOvercountAndUnknownFieldsFromLaterVersions() throws {
        let json = #"{"version":2,"type":"category","count":5,"missing":0,"distinctCount":2,"isDistinctCountExact":true,"#
            + #""entropy":0.97,"text":{"frequentValues":[{"value":"a","count":3,"share":0.6},{"value":"b","count":2,"#
            + #""maximumOvercount":1}],"minimumLength":1,"maximumLength":1}}"#
        let statistics = try Self.decode(ColumnStatistics.self, from: json)
        #expect(statistics.version == 2)
        #expect(statistics.text?.frequentValues.map(\.maximumOvercount) == [nil, 1])
    }

    @Test func tableSummariesRoundTripThroughJSON() throws {
        var table = TableStatistics(columns: [Column(name: "age", type: .int), Column(name: "country", type: .category)])
        table.add(row: [.int(31), .string("NO")])
        table.add(row: [.null, .string("SE")])
        let summary = table.summary()
        let decoded = try Self.decode(TableStatisticsSummary.self, from: try Self.encode(summary))
        #expect(decoded == summary)
        #expect(try Self.encode(summary).hasPrefix(#"{"columns":[{"name":"age","statistics":{"count":2,"#))
    }
}
