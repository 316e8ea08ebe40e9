@testable import Tabular
import Testing

/// Distinct counts: exact for small columns, HyperLogLog within its error bound beyond, and exactly mergeable.
@Suite struct DistinctCountTests {
    /// Three standard errors of a 2^13-register HyperLogLog (1.04 / √8192 ≈ 1.15%).
    static let relativeErrorBound = 3 * 1.04 / Double(DistinctCountSketch.registerCount).squareRoot()

    static func relativeError(_ estimate: Int, _ truth: Int) -> Double {
        abs(Double(estimate - truth)) / Double(truth)
    }

    @Test func smallColumnsAreCountedExactly() {
        var accumulator = ColumnStatisticsAccumulator(type: .int)
        for _ in 0..<3 {
            for value in 0..<Int64(DistinctCountSketch.exactLimit) {
                accumulator.add(.int(value * 7))
            }
        }
        let statistics = accumulator.summary()
        #expect(statistics.distinctCount == DistinctCountSketch.exactLimit)
        #expect(statistics.isDistinctCountExact)
    }

    @Test func hundredThousandDistinctIntegersAreEstimatedWithinThreeStandardErrors() {
        var accumulator = ColumnStatisticsAccumulator(type: .int)
        var random = StatisticsTestRandom(seed: 21)
        for value in 0..<100_000 {
            accumulator.add(.int(Int64(value)))
            // Repeats of earlier values must not count again.
            accumulator.add(.int(Int64(random.next(below: value + 1))))
        }
        let statistics = accumulator.summary()
        #expect(!statistics.isDistinctCountExact)
        #expect(Self.relativeError(statistics.distinctCount, 100_000) <= Self.relativeErrorBound, "estimate \(statistics.distinctCount)")
    }

    @Test func hundredThousandDistinctTextsAreEstimatedWithinThreeStandardErrors() {
        var accumulator = ColumnStatisticsAccumulator(type: .string)
        for value in 0..<100_000 {
            accumulator.add(.string("customer-\(value)"))
        }
        let estimate = accumulator.summary().distinctCount
        #expect(Self.relativeError(estimate, 100_000) <= Self.relativeErrorBound, "estimate \(estimate)")
    }

    @Test(arguments: [1_025, 3_000, 10_000, 30_000])
    func estimatesStayWithinBoundAcrossTheSwitchFromExactCounting(truth: Int) {
        var sketch = DistinctCountSketch()
        for value in 0..<truth {
            sketch.add(hash: StableHash.hash(Int64(value) &* 1_000_003))
        }
        #expect(!sketch.isExact)
        #expect(Self.relativeError(sketch.estimate(), truth) <= Self.relativeErrorBound, "estimate \(sketch.estimate())")
    }

    @Test func mergingGivesTheSameEstimateAsOneSketchOverBothParts() {
        var whole = DistinctCountSketch()
        var first = DistinctCountSketch()
        var second = DistinctCountSketch()
        for value: Int64 in 0..<50_000 {
            let hash = StableHash.hash(value)
            whole.add(hash: hash)
            if value < 30_000 {
                first.add(hash: hash)
            }
            if value >= 20_000 || value < 500 {
                second.add(hash: hash)
            }
        }
        first.merge(second)
        #expect(first.estimate() == whole.estimate())
    }

    @Test func mergingTwoExactSketchesStaysExactWhileSmall() {
        var first = DistinctCountSketch()
        var second = DistinctCountSketch()
        for value: Int64 in 0..<600 {
            first.add(hash: StableHash.hash(value))
            second.add(hash: StableHash.hash(value + 300))
        }
        first.merge(second)
        #expect(first.isExact)
        #expect(first.estimate() == 900)
        second.merge(first)
        #expect(second.estimate() == 900)
    }

    @Test func mergingExactSketchesPastTheLimitSwitchesToTheEstimate() {
        var first = DistinctCountSketch()
        var second = DistinctCountSketch()
        for value: Int64 in 0..<1_000 {
            first.add(hash: StableHash.hash(value))
            second.add(hash: StableHash.hash(value + 1_000))
        }
        first.merge(second)
        #expect(!first.isExact)
        #expect(Self.relativeError(first.estimate(), 2_000) <= Self.relativeErrorBound)
    }

    @Test func theTextHashIsFixedAcrossProcessesAndReleases() {
        // Pinned values: a change here changes what stored sketches mean.
        #expect(StableHash.hash("") == StableHash.mix(0xcbf2_9ce4_8422_2325))
        #expect(StableHash.hash("a") == StableHash.mix(0xaf63_dc4c_8601_ec8c))
        #expect(StableHash.mix(0) == 0xe220_a839_7b1d_cdaf)
        #expect(StableHash.hashAndScalarCount("e\u{301}té").scalarCount == 4)
    }
}
