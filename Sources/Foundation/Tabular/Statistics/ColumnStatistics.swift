/// The statistics of one column, as shown on dataset pages and kept as the reference for drift detection.
///
/// Made by ``ColumnStatisticsAccumulator/summary()``. Stored as JSON (Postgres `jsonb`) and read back by later versions:
/// the JSON keys are the property names, ``version`` says which shape wrote it, and everything that a column may lack is
/// optional and left out of the JSON when absent. Later versions only add optional fields, so any version decodes what
/// an earlier one wrote; decoding ignores keys it does not know.
///
/// Which section is present depends on ``type``, and only once a non-missing value has been seen:
/// ``numeric`` for `int` and `float`, ``timestamp`` for `timestamp`, ``boolean`` for `bool`, ``text`` for `string` and
/// `category`.
public struct ColumnStatistics: Sendable, Codable, Equatable {
    /// The shape written by this version of the code: 1.
    public static let currentVersion = 1
    /// The probabilities at which ``NumericSummary/quantiles`` and ``TimestampSummary/quantiles`` are reported.
    public static let quantileProbabilities: [Double] = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]
    /// The most bins a histogram has: 20.
    public static let maximumHistogramBinCount = 20
    /// The most values listed in ``TextSummary/frequentValues``: 20.
    public static let maximumFrequentValueCount = 20

    /// The version of the shape that wrote these statistics (``currentVersion`` for new ones).
    public var version: Int
    /// The column's type.
    public var type: ColumnType
    /// Values seen, missing ones included (the table's row count).
    public var count: Int
    /// Missing (`null`) values.
    public var missing: Int
    /// The number of distinct non-missing values: exact up to 1,024, then a HyperLogLog estimate with a relative
    /// standard error of about 1.15% (so within ±3.5% with 99.7% confidence). Text is compared by its UTF-8 bytes.
    public var distinctCount: Int
    /// True when ``distinctCount`` is exact.
    public var isDistinctCountExact: Bool
    /// Statistics of `int` and `float` columns.
    public var numeric: NumericSummary?
    /// Statistics of `timestamp` columns.
    public var timestamp: TimestampSummary?
    /// Statistics of `bool` columns.
    public var boolean: BooleanSummary?
    /// Statistics of `string` and `category` columns.
    public var text: TextSummary?

    /// The number of values that are not missing.
    public var nonMissingCount: Int { count - missing }

    /// The summary of an `int` or `float` column.
    public struct NumericSummary: Sendable, Codable, Equatable {
        /// The arithmetic mean (exact up to floating-point rounding; Welford's update).
        public var mean: Double
        /// The population standard deviation (divides by the count, not count − 1; 0 for a single value).
        public var standardDeviation: Double
        /// The smallest value (an `int` beyond ±2^53 is rounded to the nearest double).
        public var minimum: Double
        /// The largest value.
        public var maximum: Double
        /// Approximate quantiles at ``ColumnStatistics/quantileProbabilities``; see ``Quantile`` for the error bound.
        public var quantiles: [Quantile]
        /// An approximate histogram over [``minimum``, ``maximum``].
        public var histogram: Histogram
    }

    /// The summary of a `timestamp` column; instants are microseconds since 1970-01-01T00:00:00Z.
    public struct TimestampSummary: Sendable, Codable, Equatable {
        /// The earliest instant (exact).
        public var minimum: Int64
        /// The latest instant (exact).
        public var maximum: Int64
        /// Approximate quantiles at ``ColumnStatistics/quantileProbabilities``, in microseconds (as doubles: exact to the
        /// microsecond within about 285 years of 1970).
        public var quantiles: [Quantile]
        /// An approximate histogram over [``minimum``, ``maximum``], in microseconds.
        public var histogram: Histogram
    }

    /// The summary of a `bool` column.
    public struct BooleanSummary: Sendable, Codable, Equatable {
        /// The number of `true` values.
        public var trueCount: Int
        /// The number of `false` values.
        public var falseCount: Int
    }

    /// The summary of a `string` or `category` column.
    public struct TextSummary: Sendable, Codable, Equatable {
        /// Up to ``ColumnStatistics/maximumFrequentValueCount`` values with the largest counts, largest first (ties by
        /// value). Exact while the column has at most 1,000 distinct values; see ``FrequentValue`` otherwise.
        public var frequentValues: [FrequentValue]
        /// The length of the shortest value, in Unicode scalars (code points, as Postgres's `length()` and Python's
        /// `len()` count them: "é" written as e and a combining accent counts 2).
        public var minimumLength: Int
        /// The length of the longest value, in Unicode scalars.
        public var maximumLength: Int
    }

    /// A text value and how often it occurs.
    ///
    /// Counted with a 1,000-counter Space-Saving summary. With at most 1,000 distinct values every count is exact.
    /// Beyond that, ``count`` is an upper bound, `count − maximumOvercount` a lower bound, and the overcount is at most
    /// 0.1% of the non-missing count; every value occurring more often than that is guaranteed to be tracked. Values
    /// longer than 256 UTF-8 bytes are counted under a shortened form ending in "…".
    public struct FrequentValue: Sendable, Codable, Equatable {
        /// The value.
        public var value: String
        /// Its count (exact when ``maximumOvercount`` is `nil`).
        public var count: Int
        /// How much ``count`` may exceed the true count; `nil` when the count is exact.
        public var maximumOvercount: Int?
    }

    /// A value below which a given fraction of the values lie.
    ///
    /// ``value`` is a value from the column: the smallest `v` such that at least `probability × n` values are ≤ `v` (no
    /// interpolation; the 0.5 quantile of 1...100 is 50). It comes from a KLL sketch whose normalised rank error is below
    /// 1% with high probability: the true fraction of values ≤ ``value`` is within ±0.01 of ``probability``. Exact while
    /// the column has at most 400 non-missing values.
    public struct Quantile: Sendable, Codable, Equatable {
        /// The fraction, in (0, 1).
        public var probability: Double
        /// The quantile.
        public var value: Double
    }

    /// Counts of values in equal-width bins between ``lowerBound`` and ``upperBound``.
    ///
    /// Bin `i` covers [`lowerBound + i × width`, `lowerBound + (i + 1) × width`), the last bin including ``upperBound``.
    /// There are 20 bins, fewer for an `int` column spanning fewer than 20 integers (one integer per bin) and one when all
    /// values are equal. The counts sum exactly to the non-missing count. They come from the quantile sketch, so a value
    /// near a bin edge may be counted in the neighbouring bin: each count is within ±2% of the non-missing count with high
    /// probability, and exact while the quantiles are.
    public struct Histogram: Sendable, Codable, Equatable {
        /// The smallest value: the lower edge of the first bin.
        public var lowerBound: Double
        /// The largest value: the upper edge of the last bin.
        public var upperBound: Double
        /// The count of each bin, lowest bin first.
        public var counts: [Int]

        /// The width of each bin (0 when all values are equal).
        public var binWidth: Double {
            counts.isEmpty ? 0 : (upperBound - lowerBound) / Double(counts.count)
        }
    }
}
