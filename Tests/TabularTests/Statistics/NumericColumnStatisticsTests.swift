import Tabular
import Testing

/// Number and timestamp statistics on inputs small enough to check by hand, where every figure is exact.
@Suite struct NumericColumnStatisticsTests {
    @Test func meanAndPopulationStandardDeviationAreExactOnSmallInputs() {
        let numeric = ColumnStatisticsAccumulator.floats([2, 4, 4, 4, 5, 5, 7, 9]).summary().numeric
        #expect(numeric?.mean == 5)
        #expect(numeric?.standardDeviation == 2)
        #expect(numeric?.minimum == 2)
        #expect(numeric?.maximum == 9)
    }

    @Test func integerColumnsReportExactMomentsAndExtremes() {
        var accumulator = ColumnStatisticsAccumulator(type: .int)
        for value: Int64 in [-3, 7, 1, 11, -3] {
            accumulator.add(.int(value))
        }
        let statistics = accumulator.summary()
        #expect(statistics.numeric?.mean == 2.6)
        // Deviations from 2.6: -5.6, 4.4, -1.6, 8.4, -5.6; squares sum to 155.2; 155.2 / 5 = 31.04.
        #expect(abs((statistics.numeric?.standardDeviation ?? 0) - 31.04.squareRoot()) < 1e-12)
        #expect(statistics.numeric?.minimum == -3)
        #expect(statistics.numeric?.maximum == 11)
        #expect(statistics.distinctCount == 4)
        #expect(statistics.isDistinctCountExact)
    }

    @Test func quantilesOfOneToHundredAreTheValuesAtThoseRanks() {
        let quantiles = ColumnStatisticsAccumulator.floats((1...100).map { Double($0) }).summary().numeric?.quantiles
        #expect(quantiles?.map(\.probability) == [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99])
        #expect(quantiles?.map(\.value) == [1, 5, 25, 50, 75, 95, 99])
    }

    @Test func quantilesDoNotDependOnArrivalOrder() {
        var random = StatisticsTestRandom(seed: 3)
        let shuffled = random.shuffled((1...100).map { Double($0) })
        let quantiles = ColumnStatisticsAccumulator.floats(shuffled).summary().numeric?.quantiles
        #expect(quantiles?.map(\.value) == [1, 5, 25, 50, 75, 95, 99])
    }

    @Test func histogramOfOneToHundredHasTwentyBinsOfFive() {
        let histogram = ColumnStatisticsAccumulator.floats((1...100).map { Double($0) }).summary().numeric?.histogram
        #expect(histogram?.lowerBound == 1)
        #expect(histogram?.upperBound == 100)
        #expect(histogram?.counts == Array(repeating: 5, count: 20))
        #expect(histogram?.binWidth == 99.0 / 20)
    }

    @Test func integerColumnsSpanningFewValuesGetOneBinPerInteger() {
        var accumulator = ColumnStatisticsAccumulator(type: .int)
        for value: Int64 in [0, 1, 1, 2, 2, 2, 4, 4, 4, 4] {
            accumulator.add(.int(value))
        }
        #expect(accumulator.summary().numeric?.histogram.counts == [1, 2, 3, 0, 4])
    }

    @Test func equalValuesFallInOneBin() {
        let histogram = ColumnStatisticsAccumulator.floats([2.5, 2.5, 2.5]).summary().numeric?.histogram
        #expect(histogram?.counts == [3])
        #expect(histogram?.binWidth == 0)
    }

    @Test func aSingleValueHasZeroStandardDeviation() {
        let numeric = ColumnStatisticsAccumulator.floats([42]).summary().numeric
        #expect(numeric?.standardDeviation == 0)
        #expect(numeric?.quantiles.allSatisfy { $0.value == 42 } == true)
    }

    @Test func missingValuesAreCountedButLeftOutOfTheFigures() {
        let statistics = ColumnStatisticsAccumulator.floats([nil, 1, nil, 3, nil]).summary()
        #expect(statistics.count == 5)
        #expect(statistics.missing == 3)
        #expect(statistics.nonMissingCount == 2)
        #expect(statistics.numeric?.mean == 2)
        #expect(statistics.numeric?.histogram.counts.reduce(0, +) == 2)
        #expect(statistics.distinctCount == 2)
    }

    @Test func aColumnOfOnlyMissingValuesHasNoNumericSection() {
        let statistics = ColumnStatisticsAccumulator.floats([nil, nil]).summary()
        #expect(statistics.count == 2)
        #expect(statistics.missing == 2)
        #expect(statistics.numeric == nil)
        #expect(statistics.distinctCount == 0)
    }

    @Test func valuesNearTheLargestDoubleGiveFiniteFigures() {
        let numeric = ColumnStatisticsAccumulator.floats([-1e308, 0, 1e308]).summary().numeric
        #expect(numeric?.mean == 0)
        let expectedDeviation = 1e308 * (2.0 / 3).squareRoot()
        #expect(abs((numeric?.standardDeviation ?? 0) - expectedDeviation) <= expectedDeviation * 1e-12)
        #expect(numeric?.histogram.counts.reduce(0, +) == 3)
        #expect(numeric?.histogram.counts[10] == 1)
    }

    @Test func mergingSmallAndHugeValuesKeepsTheMoments() {
        var small = ColumnStatisticsAccumulator.floats([1, 2, 3])
        let huge = ColumnStatisticsAccumulator.floats([3e200, 3e200])
        small.merge(huge)
        let numeric = small.summary().numeric
        #expect(abs((numeric?.mean ?? 0) - 1.2e200) <= 1.2e200 * 1e-12)
        // Deviations: three of about -1.2e200 and two of 1.8e200; squares sum to 1.08e401, over 5 is 2.16e400.
        #expect(abs((numeric?.standardDeviation ?? 0) - 1.469_693_845_669_907e200) <= 1e188)
    }

    @Test func negativeZeroAndZeroAreOneDistinctValue() {
        #expect(ColumnStatisticsAccumulator.floats([0.0, -0.0, 0.0]).summary().distinctCount == 1)
    }

    @Test func timestampsReportExactExtremesEvenBeyondDoublePrecision() {
        // 9999-12-31T23:59:59.999999Z, a common "no end" sentinel, is beyond 2^53 microseconds.
        let endOfTime: Int64 = 253_402_300_799_999_999
        let epoch: Int64 = 0
        var accumulator = ColumnStatisticsAccumulator(type: .timestamp)
        for microseconds in [1_700_000_000_000_000, endOfTime, epoch, 1_700_000_000_000_001] {
            accumulator.add(.timestamp(microseconds: microseconds))
        }
        accumulator.add(.null)
        let statistics = accumulator.summary()
        #expect(statistics.timestamp?.minimum == epoch)
        #expect(statistics.timestamp?.maximum == endOfTime)
        #expect(statistics.timestamp?.histogram.counts.reduce(0, +) == 4)
        #expect(statistics.timestamp?.quantiles.map(\.value)[3] == 1_700_000_000_000_000)
        #expect(statistics.distinctCount == 4)
        #expect(statistics.numeric == nil)
        #expect(statistics.missing == 1)
    }

    @Test func booleanColumnsCountTrueAndFalse() {
        var accumulator = ColumnStatisticsAccumulator(type: .bool)
        for value in [true, false, true, true] {
            accumulator.add(.bool(value))
        }
        accumulator.add(.null)
        let statistics = accumulator.summary()
        #expect(statistics.boolean?.trueCount == 3)
        #expect(statistics.boolean?.falseCount == 1)
        #expect(statistics.distinctCount == 2)
        #expect(statistics.missing == 1)
        #expect(statistics.numeric == nil && statistics.text == nil && statistics.timestamp == nil)
    }
}
