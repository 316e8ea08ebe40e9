/// Running moments, extremes and a ``QuantileSketch`` of the non-missing values of an `int`, `float` or `timestamp` column.
///
/// Mean and variance use Welford's update (numerically stable in one pass) and Chan et al.'s pairwise formula to merge,
/// so a merged result equals the whole stream's up to floating-point rounding; count, minimum and maximum merge exactly.
/// The moments are kept for the values times ``momentScale``, a power of two that stays 1 unless a value beyond ±2^480
/// arrives, so that squared deviations cannot overflow even for values near the largest double.
struct NumericAccumulator: Sendable {
    /// The largest magnitude of a scaled value: its square, summed over 2^60 values, still fits in a double.
    private static let largestScaledMagnitude = 0x1p480

    private(set) var count = 0
    private var scaledMean = 0.0
    /// The sum of squared deviations from the mean, of the scaled values.
    private var scaledSquaredDeviationSum = 0.0
    /// What values are multiplied by before they enter the moments (exact: a power of two).
    private var momentScale = 1.0
    private(set) var minimum = Double.infinity
    private(set) var maximum = -Double.infinity
    private(set) var sketch = QuantileSketch()

    /// Adds one finite value.
    @inline(__always)
    mutating func add(_ value: Double) {
        var scaled = value * momentScale
        if abs(scaled) > Self.largestScaledMagnitude {
            rescale(toFit: value)
            scaled = value * momentScale
        }
        count += 1
        let delta = scaled - scaledMean
        scaledMean += delta / Double(count)
        scaledSquaredDeviationSum += delta * (scaled - scaledMean)
        if value < minimum {
            minimum = value
        }
        if value > maximum {
            maximum = value
        }
        sketch.add(value)
    }

    /// Adds every value summarised by `other`.
    mutating func merge(_ other: NumericAccumulator) {
        guard other.count > 0 else {
            return
        }
        guard count > 0 else {
            self = other
            return
        }
        if other.momentScale < momentScale {
            changeScale(to: other.momentScale)
        }
        let ratio = momentScale / other.momentScale
        let otherMean = other.scaledMean * ratio
        let otherSquaredDeviationSum = other.scaledSquaredDeviationSum * ratio * ratio
        let combinedCount = count + other.count
        let delta = otherMean - scaledMean
        let otherShare = Double(other.count) / Double(combinedCount)
        scaledMean += delta * otherShare
        scaledSquaredDeviationSum += otherSquaredDeviationSum + delta * delta * Double(count) * otherShare
        count = combinedCount
        minimum = Swift.min(minimum, other.minimum)
        maximum = Swift.max(maximum, other.maximum)
        sketch.merge(other.sketch)
    }

    /// The arithmetic mean (0 before the first value).
    var mean: Double {
        scaledMean / momentScale
    }

    /// The population standard deviation (0 for fewer than two values).
    var standardDeviation: Double {
        count > 1 ? (Swift.max(0, scaledSquaredDeviationSum) / Double(count)).squareRoot() / momentScale : 0
    }

    /// Lowers ``momentScale`` by powers of 2^64 until `value` fits.
    private mutating func rescale(toFit value: Double) {
        var scale = momentScale
        while abs(value * scale) > Self.largestScaledMagnitude {
            scale *= 0x1p-64
        }
        changeScale(to: scale)
    }

    private mutating func changeScale(to scale: Double) {
        let ratio = scale / momentScale
        scaledMean *= ratio
        scaledSquaredDeviationSum *= ratio * ratio
        momentScale = scale
    }

    /// Quantiles at ``ColumnStatistics/quantileProbabilities``.
    func quantiles() -> [ColumnStatistics.Quantile] {
        let probabilities = ColumnStatistics.quantileProbabilities
        return zip(probabilities, sketch.quantiles(at: probabilities)).map {
            ColumnStatistics.Quantile(probability: $0.0, value: $0.1)
        }
    }

    /// The histogram over [``minimum``, ``maximum``], with one bin per integer when `isIntegral` and the values span fewer
    /// integers than ``ColumnStatistics/maximumHistogramBinCount``.
    func histogram(isIntegral: Bool) -> ColumnStatistics.Histogram {
        var binCount = ColumnStatistics.maximumHistogramBinCount
        let span = maximum - minimum
        if isIntegral && span < Double(binCount) {
            binCount = Int(span) + 1
        }
        return ColumnStatistics.Histogram(
            lowerBound: minimum,
            upperBound: maximum,
            counts: sketch.histogram(minimum: minimum, maximum: maximum, binCount: binCount)
        )
    }

    /// The summary of an `int` or `float` column, or `nil` before the first value.
    func numericSummary(isIntegral: Bool) -> ColumnStatistics.NumericSummary? {
        guard count > 0 else {
            return nil
        }
        return ColumnStatistics.NumericSummary(
            mean: mean,
            standardDeviation: standardDeviation,
            minimum: minimum,
            maximum: maximum,
            quantiles: quantiles(),
            histogram: histogram(isIntegral: isIntegral)
        )
    }
}
