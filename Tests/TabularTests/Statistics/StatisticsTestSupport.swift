import Foundation
import Tabular

/// A splitmix64 generator with a fixed seed, so that every statistics test sees the same "random" data on every run.
struct StatisticsTestRandom {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func nextUnit() -> Double {
        Double(next() >> 11) / Double(UInt64(1) << 53)
    }

    /// Exponential with rate 1 (mean 1), by inversion.
    mutating func nextExponential() -> Double {
        -log(1 - nextUnit())
    }

    /// A rank in 0..<count drawn log-uniformly, so that rank `i` comes up about `1 / (i + 1)` as often as rank 0 (Zipf's
    /// law with exponent 1).
    mutating func nextZipfRank(below count: Int) -> Int {
        Int(exp(nextUnit() * log(Double(count)))) - 1
    }

    /// `values` in a random order (Fisher–Yates).
    mutating func shuffled<Element>(_ values: [Element]) -> [Element] {
        var values = values
        for index in stride(from: values.count - 1, to: 0, by: -1) {
            values.swapAt(index, next(below: index + 1))
        }
        return values
    }

    /// Uniform in 0..<bound.
    mutating func next(below bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }
}

/// Exact ranks in a sorted sample, to judge a sketch's quantiles.
struct SortedSample {
    let values: [Double]

    init(_ values: [Double]) {
        self.values = values.sorted()
    }

    /// How far `probability` lies outside [fraction of values < `value`, fraction ≤ `value`]: 0 when `value` is a true
    /// `probability`-quantile.
    func rankError(of value: Double, at probability: Double) -> Double {
        let count = Double(values.count)
        let below = Double(firstIndex { $0 >= value }) / count
        let atOrBelow = Double(firstIndex { $0 > value }) / count
        if probability < below {
            return below - probability
        }
        return probability > atOrBelow ? probability - atOrBelow : 0
    }

    /// The number of values in [lower, upper), or [lower, upper] when `isClosed`.
    func count(from lower: Double, to upper: Double, isClosed: Bool) -> Int {
        let end = isClosed ? firstIndex { $0 > upper } : firstIndex { $0 >= upper }
        return end - firstIndex { $0 >= lower }
    }

    /// The first index whose value satisfies `predicate`, which must be monotonic over the sorted values.
    private func firstIndex(where predicate: (Double) -> Bool) -> Int {
        var low = 0
        var high = values.count
        while low < high {
            let middle = (low + high) / 2
            if predicate(values[middle]) {
                high = middle
            } else {
                low = middle + 1
            }
        }
        return low
    }
}

extension ColumnStatisticsAccumulator {
    /// An accumulator fed `values` (as `.float`, or `.null` for `nil`).
    static func floats(_ values: some Sequence<Double?>) -> ColumnStatisticsAccumulator {
        var accumulator = ColumnStatisticsAccumulator(type: .float)
        for value in values {
            accumulator.add(value.map { .float($0) } ?? .null)
        }
        return accumulator
    }

    /// An accumulator fed `values` as `.float`.
    static func floats(_ values: some Sequence<Double>) -> ColumnStatisticsAccumulator {
        var accumulator = ColumnStatisticsAccumulator(type: .float)
        for value in values {
            accumulator.add(.float(value))
        }
        return accumulator
    }
}
