@testable import Tabular
import Testing

/// Text statistics: exact frequent values for few categories, Space-Saving guarantees for many, lengths, merging.
@Suite struct FrequentValuesTests {
    static func textStatistics(_ values: [String?], type: ColumnType = .category) -> ColumnStatistics {
        var accumulator = ColumnStatisticsAccumulator(type: type)
        for value in values {
            accumulator.add(value.map { .string($0) } ?? .null)
        }
        return accumulator.summary()
    }

    @Test func fewCategoriesAreCountedExactlyLargestFirstAndTiesByValue() {
        let values: [String?] = ["pro", "free", nil, "free", "team", "pro", "free", "enterprise", nil, "team"]
        let statistics = Self.textStatistics(values)
        let frequent = statistics.text?.frequentValues ?? []
        #expect(frequent.map(\.value) == ["free", "pro", "team", "enterprise"])
        #expect(frequent.map(\.count) == [3, 2, 2, 1])
        #expect(frequent.allSatisfy { $0.maximumOvercount == nil })
        #expect(statistics.missing == 2)
        #expect(statistics.distinctCount == 4)
        #expect(statistics.text?.minimumLength == 3)
        #expect(statistics.text?.maximumLength == 10)
    }

    @Test func atMostTwentyValuesAreListed() {
        let values = (0..<500).map { "v\($0 % 50)" }
        let frequent = Self.textStatistics(values).text?.frequentValues ?? []
        #expect(frequent.count == ColumnStatistics.maximumFrequentValueCount)
        #expect(frequent.allSatisfy { $0.count == 10 && $0.maximumOvercount == nil })
    }

    @Test func manyCategoriesKeepTheTrueLeadersWithinTheOvercountBound() {
        var random = StatisticsTestRandom(seed: 31)
        var trueCounts: [String: Int] = [:]
        var values: [String] = []
        for _ in 0..<300_000 {
            let value = "item-\(random.nextZipfRank(below: 20_000))"
            values.append(value)
            trueCounts[value, default: 0] += 1
        }
        #expect(trueCounts.count > 5_000)
        let frequent = Self.textStatistics(values).text?.frequentValues ?? []
        let trueLeaders = trueCounts.sorted { $0.value > $1.value }.prefix(20).map(\.key)
        #expect(Set(frequent.map(\.value)) == Set(trueLeaders))
        for entry in frequent {
            let truth = trueCounts[entry.value] ?? 0
            let overcount = entry.maximumOvercount ?? 0
            #expect(entry.count >= truth && entry.count - overcount <= truth)
            #expect(overcount <= values.count / FrequentValueSketch.defaultCapacity)
        }
    }

    @Test func spaceSavingInvariantsHoldThroughManyEvictions() {
        var sketch = FrequentValueSketch(capacity: 8)
        var random = StatisticsTestRandom(seed: 32)
        var trueCounts: [String: Int] = [:]
        let total = 5_000
        for _ in 0..<total {
            let value = random.next(below: 3) == 0 ? "hot" : "cold-\(random.next(below: 40))"
            trueCounts[value, default: 0] += 1
            sketch.add(value, stableHash: StableHash.hash(value))
        }
        let monitored = sketch.mostFrequent(limit: 8)
        #expect(monitored.count == 8)
        #expect(Set(monitored.map(\.value)).count == 8)
        #expect(monitored.map(\.count).reduce(0, +) == total)
        #expect(monitored.first?.value == "hot")
        for entry in monitored {
            let truth = trueCounts[entry.value] ?? 0
            #expect(entry.count >= truth && entry.count - entry.overcount <= truth)
        }
    }

    @Test func mergingTwoHalvesWithFewCategoriesIsExact() {
        let values = (0..<1_000).map { "plan-\($0 % 7 == 0 ? 0 : $0 % 5)" }
        var first = ColumnStatisticsAccumulator(type: .category)
        var second = ColumnStatisticsAccumulator(type: .category)
        for (position, value) in values.enumerated() {
            if position < 400 {
                first.add(.string(value))
            } else {
                second.add(.string(value))
            }
        }
        first.merge(second)
        #expect(first.summary() == Self.textStatistics(values))
    }

    @Test func mergingSummariesThatHaveEvictedKeepsTheGuarantees() {
        var first = FrequentValueSketch(capacity: 10)
        var second = FrequentValueSketch(capacity: 10)
        var trueCounts: [String: Int] = [:]
        var random = StatisticsTestRandom(seed: 33)
        for position in 0..<4_000 {
            let value = random.next(below: 4) == 0 ? "hot-\(position % 2)" : "cold-\(random.next(below: 100))"
            trueCounts[value, default: 0] += 1
            if position % 3 == 0 {
                first.add(value, stableHash: StableHash.hash(value))
            } else {
                second.add(value, stableHash: StableHash.hash(value))
            }
        }
        first.merge(second)
        let merged = first.mostFrequent(limit: 10)
        #expect(Set(merged.prefix(2).map(\.value)) == ["hot-0", "hot-1"])
        for entry in merged {
            let truth = trueCounts[entry.value] ?? 0
            #expect(entry.count >= truth && entry.count - entry.overcount <= truth)
            #expect(entry.overcount <= 4_000 / 10)
        }
    }

    @Test func lengthsCountUnicodeScalars() {
        let statistics = Self.textStatistics(["e\u{301}", "日本語のテキスト", "🙂"], type: .string)
        #expect(statistics.text?.minimumLength == 1)
        #expect(statistics.text?.maximumLength == 8)
    }

    @Test func longValuesAreCountedUnderAShortenedForm() {
        let long = String(repeating: "é", count: 300)
        let statistics = Self.textStatistics([long, long + "x"], type: .string)
        let frequent = statistics.text?.frequentValues ?? []
        #expect(frequent.count == 1)
        #expect(frequent.first?.count == 2)
        #expect(frequent.first?.value.hasSuffix("…") == true)
        #expect((frequent.first?.value.utf8.count ?? .max) <= TextAccumulator.maximumTrackedUTF8Length)
        #expect(statistics.text?.maximumLength == 301)
        #expect(statistics.distinctCount == 2)
    }
}
