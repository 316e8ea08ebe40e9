@testable import Tabular
import Testing

/// The KLL sketch on a million values: every reported quantile within 1% rank error, bounded memory, exact weights.
@Suite struct QuantileSketchAccuracyTests {
    static let valueCount = 1_000_000
    /// The documented bound on normalised rank error.
    static let rankErrorBound = 0.01
    /// The most items the sketch may hold at a million values (12 levels): at most 3k plus two per level.
    static let storedItemBound = 3 * QuantileSketch.defaultAccuracy + 2 * 12

    static func uniformValues() -> [Double] {
        var random = StatisticsTestRandom(seed: 11)
        return (0..<valueCount).map { _ in random.nextUnit() * 1_000 }
    }

    static func exponentialValues() -> [Double] {
        var random = StatisticsTestRandom(seed: 12)
        return (0..<valueCount).map { _ in random.nextExponential() }
    }

    static func expectQuantilesWithinBound(_ statistics: ColumnStatistics, of sample: SortedSample) {
        let quantiles = statistics.numeric?.quantiles ?? []
        #expect(quantiles.count == ColumnStatistics.quantileProbabilities.count)
        for quantile in quantiles {
            let error = sample.rankError(of: quantile.value, at: quantile.probability)
            #expect(error <= rankErrorBound, "quantile \(quantile.probability) = \(quantile.value) is off by \(error)")
        }
    }

    @Test func uniformStreamQuantilesStayWithinTheRankErrorBoundInBoundedMemory() {
        let values = Self.uniformValues()
        var sketch = QuantileSketch()
        var largestStoredCount = 0
        for value in values {
            sketch.add(value)
            largestStoredCount = max(largestStoredCount, sketch.storedItemCount)
        }
        #expect(largestStoredCount <= Self.storedItemBound)
        #expect(sketch.count == Self.valueCount)

        let statistics = ColumnStatisticsAccumulator.floats(values).summary()
        Self.expectQuantilesWithinBound(statistics, of: SortedSample(values))
    }

    @Test func skewedStreamQuantilesStayWithinTheRankErrorBound() {
        let values = Self.exponentialValues()
        let statistics = ColumnStatisticsAccumulator.floats(values).summary()
        Self.expectQuantilesWithinBound(statistics, of: SortedSample(values))
        #expect(abs((statistics.numeric?.mean ?? 0) - 1) < 0.01)
        #expect(abs((statistics.numeric?.standardDeviation ?? 0) - 1) < 0.01)
    }

    @Test func histogramCountsSumToTheNonMissingCountAndTrackTheTrueBins() throws {
        let values = Self.exponentialValues()
        var accumulator = ColumnStatisticsAccumulator.floats(values)
        for _ in 0..<1_000 {
            accumulator.add(.null)
        }
        let statistics = accumulator.summary()
        let histogram = try #require(statistics.numeric?.histogram)
        #expect(histogram.counts.count == 20)
        #expect(histogram.counts.reduce(0, +) == Self.valueCount)
        #expect(statistics.nonMissingCount == Self.valueCount)
        let sample = SortedSample(values)
        for (bin, count) in histogram.counts.enumerated() {
            let lower = histogram.lowerBound + Double(bin) * histogram.binWidth
            let isLast = bin == histogram.counts.count - 1
            let upper = isLast ? histogram.upperBound : lower + histogram.binWidth
            let exact = sample.count(from: lower, to: upper, isClosed: isLast)
            #expect(abs(count - exact) <= Self.valueCount / 50, "bin \(bin): \(count) against \(exact)")
        }
    }

    @Test func mergingTwoHalvesMatchesTheWholeStream() {
        let values = Self.uniformValues()
        let half = values.count / 2
        var first = ColumnStatisticsAccumulator.floats(values[..<half].map { Optional($0) } + [nil])
        let second = ColumnStatisticsAccumulator.floats(values[half...].map { Optional($0) } + [nil, nil])
        first.merge(second)
        let merged = first.summary()
        let whole = ColumnStatisticsAccumulator.floats(values.map { Optional($0) } + [nil, nil, nil]).summary()

        #expect(merged.count == whole.count)
        #expect(merged.missing == 3)
        #expect(merged.distinctCount == whole.distinctCount)
        #expect(merged.numeric?.minimum == whole.numeric?.minimum)
        #expect(merged.numeric?.maximum == whole.numeric?.maximum)
        #expect(abs((merged.numeric?.mean ?? 0) - (whole.numeric?.mean ?? 0)) < 1e-9)
        #expect(abs((merged.numeric?.standardDeviation ?? 0) - (whole.numeric?.standardDeviation ?? 0)) < 1e-9)
        #expect(merged.numeric?.histogram.counts.reduce(0, +) == Self.valueCount)
        Self.expectQuantilesWithinBound(merged, of: SortedSample(values))
    }

    @Test func mergingSmallSketchesIsExact() {
        var first = QuantileSketch()
        var second = QuantileSketch()
        for value in 1...60 {
            first.add(Double(value))
        }
        for value in 61...100 {
            second.add(Double(value))
        }
        first.merge(second)
        #expect(first.quantiles(at: ColumnStatistics.quantileProbabilities) == [1, 5, 25, 50, 75, 95, 99])
    }

    @Test func sketchesKeepEveryValueUpToTheirAccuracyParameter() {
        var sketch = QuantileSketch()
        for value in 0..<QuantileSketch.defaultAccuracy {
            sketch.add(Double(value))
        }
        #expect(sketch.storedItemCount == QuantileSketch.defaultAccuracy)
        sketch.add(0)
        #expect(sketch.storedItemCount < QuantileSketch.defaultAccuracy)
        #expect(sketch.weightedItems().map(\.weight).reduce(0, +) == QuantileSketch.defaultAccuracy + 1)
    }

    @Test func theSameInputGivesTheSameSketch() {
        let values = Self.exponentialValues().prefix(50_000)
        let first = ColumnStatisticsAccumulator.floats(values).summary()
        let second = ColumnStatisticsAccumulator.floats(values).summary()
        #expect(first == second)
    }
}
