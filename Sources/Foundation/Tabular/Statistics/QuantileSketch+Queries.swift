extension QuantileSketch {
    /// The smallest retained value `v` whose cumulative weight (the estimated number of values ≤ `v`) reaches
    /// `probability × count`, for each probability; empty when the sketch is empty.
    ///
    /// - Parameter probabilities: fractions in [0, 1], in any order.
    func quantiles(at probabilities: [Double]) -> [Double] {
        let items = weightedItems()
        guard !items.isEmpty else {
            return []
        }
        var cumulativeWeights: [Int] = []
        cumulativeWeights.reserveCapacity(items.count)
        var runningTotal = 0
        for item in items {
            runningTotal += item.weight
            cumulativeWeights.append(runningTotal)
        }
        return probabilities.map { probability in
            let target = Self.targetRank(probability: probability, count: count)
            var low = 0
            var high = cumulativeWeights.count - 1
            while low < high {
                let middle = (low + high) / 2
                if cumulativeWeights[middle] >= target {
                    high = middle
                } else {
                    low = middle + 1
                }
            }
            return items[low].value
        }
    }

    /// Counts in `binCount` equal-width bins over [`minimum`, `maximum`] (one bin when they are equal), each retained item
    /// adding its weight to the bin its value falls in; the counts sum to ``count``.
    ///
    /// - Parameters:
    ///   - minimum: The smallest value added (exact, tracked by the caller).
    ///   - maximum: The largest value added.
    ///   - binCount: The number of bins wanted, at least 1.
    func histogram(minimum: Double, maximum: Double, binCount: Int) -> [Int] {
        let binCount = maximum > minimum ? binCount : 1
        var counts = Array(repeating: 0, count: binCount)
        // Halving (exact) keeps the range finite when it spans more than the largest double.
        let halving = (maximum - minimum).isFinite ? 1.0 : 0.5
        let width = (maximum * halving - minimum * halving) / Double(binCount)
        for (level, values) in levels.enumerated() {
            let weight = 1 << level
            for value in values {
                let offset = width > 0 ? ((value * halving - minimum * halving) / width) : 0
                let bin = offset.isFinite ? Swift.min(binCount - 1, Swift.max(0, Int(offset))) : binCount - 1
                counts[bin] += weight
            }
        }
        return counts
    }

    /// The rank (1-based) a quantile must reach: `⌈probability × count⌉`, at least 1, with a tolerance of 1e-9 so that
    /// `0.95 × 100`, which is 94.99999999999999 in floating point, still asks for rank 95.
    static func targetRank(probability: Double, count: Int) -> Int {
        let exact = probability * Double(count) - 1e-9
        return Swift.min(count, Swift.max(1, Int(exact.rounded(.up))))
    }
}
