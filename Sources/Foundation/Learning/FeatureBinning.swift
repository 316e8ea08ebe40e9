/// Maps each feature's values to at most 255 bins (one byte per value), as histogram-based gradient boosting
/// (LightGBM, scikit-learn's `HistGradientBoosting*`) does: splits are searched over bins, not over every value.
///
/// Bin `b` of a feature holds the values `x` with `thresholds[b − 1] < x ≤ thresholds[b]` (the last bin everything above
/// the last threshold); ``missingBin`` holds NaN. With at most 255 distinct values in the sample the thresholds are the
/// midpoints between them (every value its own bin); otherwise they are the sample's quantiles.
struct FeatureBinning: Sendable {
    /// The bin of a missing value.
    static let missingBin: UInt8 = 255
    /// Bins for present values: 0…254.
    static let maximumBins = 255
    /// Values sampled per feature to place the thresholds.
    static let sampleSize = 200_000

    /// Per feature, the ascending upper bounds of every bin but the last.
    let thresholds: [[Double]]

    /// Fits thresholds on the columns of `x` (NaN = missing), from an evenly spread sample of the rows.
    init(_ x: Matrix) {
        let step = max(1, x.rows / Self.sampleSize)
        thresholds = (0..<x.columns).map { column in
            var values: [Double] = []
            values.reserveCapacity(x.rows / step + 1)
            var row = 0
            while row < x.rows {
                let value = x[row, column]
                if !value.isNaN { values.append(value) }
                row += step
            }
            values.sort()
            var distinct: [Double] = []
            for value in values where distinct.last != value { distinct.append(value) }
            if distinct.count <= Self.maximumBins {
                return zip(distinct, distinct.dropFirst()).map { ($0 + $1) / 2 }
            }
            var cuts: [Double] = []
            for bin in 1..<Self.maximumBins {
                let cut = values[values.count * bin / Self.maximumBins]
                if cuts.last != cut, cut < distinct.last! { cuts.append(cut) }
            }
            return cuts
        }
    }

    /// The number of bins for present values of `feature`.
    func binCount(_ feature: Int) -> Int { thresholds[feature].count + 1 }

    /// The bin of `value` for `feature`.
    @inline(__always)
    func bin(_ value: Double, feature: Int) -> UInt8 {
        if value.isNaN { return Self.missingBin }
        let cuts = thresholds[feature]
        var low = 0
        var high = cuts.count
        while low < high {  // the first threshold ≥ value
            let middle = (low + high) / 2
            if cuts[middle] < value { low = middle + 1 } else { high = middle }
        }
        return UInt8(low)
    }

    /// Every value of `x` binned, feature after feature (`binned[feature * rows + row]`), split over the cores.
    func binned(_ x: Matrix) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: x.rows * x.columns)
        let rows = x.rows
        result.withUnsafeMutableBufferPointer { output in
            let target = SendableBuffer(output)
            x.values.withUnsafeBufferPointer { values in
                _ = Parallel.map(count: x.columns, minimumPerPart: 1) { features in
                    for feature in features {
                        for row in 0..<rows { target.buffer[feature * rows + row] = bin(values[row * x.columns + feature], feature: feature) }
                    }
                    return 0
                }
            }
        }
        return result
    }
}

/// A buffer that parallel parts write to at distinct indices.
struct SendableBuffer<Element>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Element>
    init(_ buffer: UnsafeMutableBufferPointer<Element>) { self.buffer = buffer }
}
