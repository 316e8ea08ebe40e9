/// Collects one column's statistics in a single pass, in memory that does not grow with the number of values.
///
/// Feed it every value of the column with ``add(_:)`` (missing ones too), then call ``summary()``; accumulators over
/// parts of a table combine with ``merge(_:)``. Memory does not depend on the row count: about 100 KiB for number and
/// timestamp columns (a quantile sketch of at most 1,208 items at a million values, whose per-level buffers keep up to
/// 8 KiB each, and 8 to 16 KiB for the distinct count) and below about 400 KiB for text columns (1,000 monitored values
/// of at most 256 bytes each, their index, and the distinct count).
///
/// What is exact: ``ColumnStatistics/count``, ``ColumnStatistics/missing``, minimum, maximum, the boolean counts and the
/// text lengths always; mean and standard deviation up to floating-point rounding; the distinct count up to 1,024
/// values; quantiles and histograms up to 400 values; frequent-value counts up to 1,000 distinct values. Beyond those,
/// each figure's documentation in ``ColumnStatistics`` states its error bound.
///
/// The value's kind must match the column's ``type`` (`.int` for `int`, `.float` for `float`, `.bool` for `bool`,
/// `.string` for `string` and `category`, `.timestamp` for `timestamp`; `.null` for any): anything else is a
/// programming error in the caller, which converts values while parsing, and stops the process with a precondition
/// failure, because silently skipping it would publish statistics that are wrong.
public struct ColumnStatisticsAccumulator: Sendable {
    /// The column's type, fixed at creation.
    public let type: ColumnType
    private var count = 0
    private var missing = 0
    private var distinctValues = DistinctCountSketch()
    private var numbers: NumericAccumulator?
    private var timestampRange: ClosedRange<Int64>?
    private var trueCount = 0
    private var falseCount = 0
    private var text: TextAccumulator?

    /// Creates an empty accumulator for a column of type `type`.
    public init(type: ColumnType) {
        self.type = type
        switch type {
        case .int, .float, .timestamp:
            numbers = NumericAccumulator()
        case .string, .category:
            text = TextAccumulator()
        case .bool:
            break
        }
    }

    /// Adds one value of the column; `.null` counts as missing.
    ///
    /// - Precondition: the value is `.null` or of the kind that matches ``type`` (see the type's documentation).
    @inline(__always)
    public mutating func add(_ value: TabularValue) {
        count += 1
        switch value {
        case .null:
            missing += 1
        case .float(let number):
            precondition(type == .float, "A float value was added to a \(type.rawValue) column's statistics")
            distinctValues.add(hash: StableHash.hash(number))
            numbers!.add(number)
        case .int(let number):
            precondition(type == .int, "An int value was added to a \(type.rawValue) column's statistics")
            distinctValues.add(hash: StableHash.hash(number))
            numbers!.add(Double(number))
        case .timestamp(let microseconds):
            precondition(type == .timestamp, "A timestamp value was added to a \(type.rawValue) column's statistics")
            distinctValues.add(hash: StableHash.hash(microseconds))
            numbers!.add(Double(microseconds))
            timestampRange = Self.union(timestampRange, microseconds...microseconds)
        case .string(let string):
            precondition(type == .string || type == .category, "A string value was added to a \(type.rawValue) column's statistics")
            let (hash, length) = StableHash.hashAndScalarCount(string)
            distinctValues.add(hash: hash)
            text!.add(string, stableHash: hash, length: length)
        case .bool(let flag):
            precondition(type == .bool, "A bool value was added to a \(type.rawValue) column's statistics")
            distinctValues.add(hash: StableHash.hash(flag))
            if flag {
                trueCount += 1
            } else {
                falseCount += 1
            }
        }
    }

    /// Adds everything `other` has seen, as if its values had been added to this accumulator.
    ///
    /// Counts, missing values, extremes, boolean counts, text lengths and the distinct-count sketch merge exactly (the
    /// merged distinct count equals the one of a single accumulator over both parts); mean and standard deviation agree
    /// up to floating-point rounding; quantiles, histograms and frequent values keep their documented error bounds.
    ///
    /// - Precondition: `other` is for a column of the same ``type``.
    public mutating func merge(_ other: ColumnStatisticsAccumulator) {
        precondition(type == other.type, "Cannot merge the statistics of a \(other.type.rawValue) column into a \(type.rawValue) column's")
        count += other.count
        missing += other.missing
        distinctValues.merge(other.distinctValues)
        if let otherNumbers = other.numbers {
            numbers?.merge(otherNumbers)
        }
        if let otherRange = other.timestampRange {
            timestampRange = Self.union(timestampRange, otherRange)
        }
        trueCount += other.trueCount
        falseCount += other.falseCount
        if let otherText = other.text {
            text?.merge(otherText)
        }
    }

    /// The smallest range holding both ranges.
    private static func union(_ range: ClosedRange<Int64>?, _ other: ClosedRange<Int64>) -> ClosedRange<Int64> {
        guard let range else {
            return other
        }
        return Swift.min(range.lowerBound, other.lowerBound)...Swift.max(range.upperBound, other.upperBound)
    }

    /// The statistics of the values added so far (O(sketch size): about a millisecond; the accumulator is unchanged).
    public func summary() -> ColumnStatistics {
        let nonMissing = count - missing
        var statistics = ColumnStatistics(
            version: ColumnStatistics.currentVersion,
            type: type,
            count: count,
            missing: missing,
            distinctCount: distinctValues.estimate(),
            isDistinctCountExact: distinctValues.isExact
        )
        switch type {
        case .int, .float:
            statistics.numeric = numbers?.numericSummary(isIntegral: type == .int)
        case .timestamp:
            if let numbers, let timestampRange {
                statistics.timestamp = ColumnStatistics.TimestampSummary(
                    minimum: timestampRange.lowerBound,
                    maximum: timestampRange.upperBound,
                    quantiles: numbers.quantiles(),
                    histogram: numbers.histogram(isIntegral: false)
                )
            }
        case .bool:
            if nonMissing > 0 {
                statistics.boolean = ColumnStatistics.BooleanSummary(trueCount: trueCount, falseCount: falseCount)
            }
        case .string, .category:
            statistics.text = text?.summary()
        }
        return statistics
    }
}

extension ColumnStatistics {
    /// Statistics with no type-specific section yet.
    init(version: Int, type: ColumnType, count: Int, missing: Int, distinctCount: Int, isDistinctCountExact: Bool) {
        self.version = version
        self.type = type
        self.count = count
        self.missing = missing
        self.distinctCount = distinctCount
        self.isDistinctCountExact = isDistinctCountExact
    }
}
