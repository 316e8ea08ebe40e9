/// Frequent values and the length range of the non-missing values of a `string` or `category` column.
struct TextAccumulator: Sendable {
    /// Values longer than this many UTF-8 bytes are counted under a shortened form, so that memory stays bounded
    /// (at most about 1,000 × 256 bytes of text per column).
    static let maximumTrackedUTF8Length = 256
    private static let ellipsis = "…"

    private(set) var frequentValues = FrequentValueSketch()
    private(set) var minimumLength = Int.max
    private(set) var maximumLength = 0
    private(set) var count = 0

    /// Adds one value.
    ///
    /// - Parameters:
    ///   - value: The text.
    ///   - stableHash: Its ``StableHash/hash(_:)-(String)``, which the caller has already computed.
    ///   - length: Its length in Unicode scalars, which the caller has computed with the hash.
    mutating func add(_ value: String, stableHash: UInt64, length: Int) {
        count += 1
        if length < minimumLength {
            minimumLength = length
        }
        if length > maximumLength {
            maximumLength = length
        }
        if value.utf8.count <= Self.maximumTrackedUTF8Length {
            frequentValues.add(value, stableHash: stableHash)
        } else {
            let shortened = Self.shortened(value)
            frequentValues.add(shortened, stableHash: StableHash.hash(shortened))
        }
    }

    /// Adds every value summarised by `other`.
    mutating func merge(_ other: TextAccumulator) {
        count += other.count
        minimumLength = Swift.min(minimumLength, other.minimumLength)
        maximumLength = Swift.max(maximumLength, other.maximumLength)
        frequentValues.merge(other.frequentValues)
    }

    /// The summary, or `nil` before the first value.
    func summary() -> ColumnStatistics.TextSummary? {
        guard count > 0 else {
            return nil
        }
        let mostFrequent = frequentValues.mostFrequent(limit: ColumnStatistics.maximumFrequentValueCount)
        return ColumnStatistics.TextSummary(
            frequentValues: mostFrequent.map {
                ColumnStatistics.FrequentValue(value: $0.value, count: $0.count, maximumOvercount: $0.overcount > 0 ? $0.overcount : nil)
            },
            minimumLength: minimumLength,
            maximumLength: maximumLength
        )
    }

    /// The longest prefix of whole Unicode scalars that fits, with the ellipsis, in ``maximumTrackedUTF8Length`` bytes.
    static func shortened(_ value: String) -> String {
        let budget = maximumTrackedUTF8Length - ellipsis.utf8.count
        var scalars = String.UnicodeScalarView()
        var byteCount = 0
        for scalar in value.unicodeScalars {
            byteCount += UTF8.width(scalar)
            if byteCount > budget {
                break
            }
            scalars.append(scalar)
        }
        return String(scalars) + ellipsis
    }
}
