/// The most frequent texts of a stream, by the Space-Saving algorithm (Metwally, Agrawal and El Abbadi, 2005).
///
/// The sketch monitors at most ``capacity`` values, each with a count and an overcount. A monitored value's count is
/// incremented; a new value takes over the counter with the smallest count `c`, starting at `c + 1` with overcount `c`.
/// Guarantees, for `n` values added:
/// - Every count is an upper bound, `count − overcount` a lower bound, and overcount ≤ `n / capacity`.
/// - Every value occurring more than `n / capacity` times is monitored.
/// - While at most ``capacity`` distinct values have been seen, nothing is evicted and every count is exact.
///
/// Slots are kept ranked by count, largest first, and found through a ``FrequentValueIndex``. Counts only grow by one,
/// so an incremented slot keeps the ranking sorted by trading places with the first slot of its count, found by a
/// galloping search: each ``add(_:stableHash:)`` is one hash-table probe, a few reads and one swap. Memory is bounded by
/// the capacity and the caller's cap on text length.
struct FrequentValueSketch: Sendable {
    /// Counters kept by default: exact up to 1,000 distinct values, overcount ≤ 0.1% of the count beyond.
    static let defaultCapacity = 1_000

    /// The number of counters.
    let capacity: Int
    /// The monitored texts, by slot.
    private var values: [HashedText] = []
    /// The overcount of each slot.
    private var overcounts: [Int] = []
    /// Counts in rank order: non-increasing, so the smallest is last.
    private var rankedCounts: [Int] = []
    /// The slot at each rank.
    private var rankedSlots: [Int] = []
    /// The rank of each slot.
    private var ranks: [Int] = []
    private var index: FrequentValueIndex
    /// A hint: the first rank of a group of equal counts, where the next increment of that count is likely to look
    /// (the smallest count's group, while evictions follow each other). Checked before use.
    private var groupHint = (count: 0, firstRank: 0)
    /// True once a counter has been taken over: counts may then be overestimates.
    private(set) var hasEvicted = false

    /// Creates an empty sketch with `capacity` counters.
    init(capacity: Int = FrequentValueSketch.defaultCapacity) {
        precondition(capacity > 0, "FrequentValueSketch needs at least one counter")
        self.capacity = capacity
        index = FrequentValueIndex(capacity: capacity)
    }

    /// An upper bound on the count of any value that is not monitored (0 until a counter has been taken over).
    private var unmonitoredBound: Int {
        hasEvicted ? rankedCounts[rankedCounts.count - 1] : 0
    }

    private func count(ofSlot slot: Int) -> Int {
        rankedCounts[ranks[slot]]
    }

    /// Counts one occurrence of `value`.
    ///
    /// - Parameters:
    ///   - text: The text.
    ///   - stableHash: Its ``StableHash/hash(_:)-(String)``, which the caller has already computed.
    mutating func add(_ text: String, stableHash: UInt64) {
        let value = HashedText(value: text, stableHash: stableHash)
        if let slot = index.slot(of: value, in: values) {
            increment(rank: ranks[slot])
        } else if values.count < capacity {
            let slot = values.count
            values.append(value)
            overcounts.append(0)
            ranks.append(slot)
            rankedSlots.append(slot)
            rankedCounts.append(1)
            index.insert(slot: slot, stableHash: stableHash)
        } else {
            let rank = rankedCounts.count - 1
            let slot = rankedSlots[rank]
            index.remove(slot: slot, stableHash: values[slot].stableHash)
            overcounts[slot] = rankedCounts[rank]
            values[slot] = value
            index.insert(slot: slot, stableHash: stableHash)
            hasEvicted = true
            increment(rank: rank)
        }
    }

    /// Adds one to the count at `rank`, first swapping its slot with the highest-ranked slot of the same count so that
    /// the counts stay non-increasing.
    private mutating func increment(rank: Int) {
        let count = rankedCounts[rank]
        let first = firstRank(withCount: count, atOrBefore: rank)
        if first != rank {
            let movingSlot = rankedSlots[rank]
            let displacedSlot = rankedSlots[first]
            rankedSlots[first] = movingSlot
            rankedSlots[rank] = displacedSlot
            ranks[movingSlot] = first
            ranks[displacedSlot] = rank
        }
        rankedCounts[first] = count + 1
        groupHint = (count, first + 1)
    }

    /// The smallest rank whose count is `count`, knowing that the count at `rank` is `count`: the hint when it is right,
    /// otherwise a gallop towards rank 0 and a bisection, whose cost grows with the log of the number of equal counts.
    private func firstRank(withCount count: Int, atOrBefore rank: Int) -> Int {
        let hinted = groupHint.firstRank
        if groupHint.count == count && hinted <= rank && rankedCounts[hinted] == count && (hinted == 0 || rankedCounts[hinted - 1] != count) {
            return hinted
        }
        var known = rank  // a rank with this count
        var step = 1
        while known - step >= 0 && rankedCounts[known - step] == count {
            known -= step
            step *= 2
        }
        var low = Swift.max(0, known - step + 1)  // ranks below `low` (if any) have larger counts
        var high = known
        while low < high {
            let middle = (low + high) / 2
            if rankedCounts[middle] == count {
                high = middle
            } else {
                low = middle + 1
            }
        }
        return low
    }

    /// One monitored value with its count (an upper bound) and overcount (how much the count may exceed the truth).
    struct MonitoredValue: Sendable, Equatable {
        var value: String
        var count: Int
        var overcount: Int

        /// Larger counts first, then smaller overcounts, then values in ascending order, so that results are reproducible.
        static func isRankedBefore(_ left: MonitoredValue, _ right: MonitoredValue) -> Bool {
            if left.count != right.count {
                return left.count > right.count
            }
            if left.overcount != right.overcount {
                return left.overcount < right.overcount
            }
            return left.value < right.value
        }
    }

    /// Combines with `other` (Agarwal et al., "Mergeable Summaries", 2012): a value missing from one side is charged that
    /// side's bound for unmonitored values in both count and overcount, and the ``capacity`` largest counts are kept.
    /// Exact when neither side has evicted and together they hold at most ``capacity`` values.
    mutating func merge(_ other: FrequentValueSketch) {
        let ownBound = unmonitoredBound
        let otherBound = other.unmonitoredBound
        var combined: [(text: HashedText, entry: MonitoredValue)] = []
        for slot in values.indices {
            var entry = monitoredValue(atSlot: slot)
            if let otherSlot = other.index.slot(of: values[slot], in: other.values) {
                entry.count += other.count(ofSlot: otherSlot)
                entry.overcount += other.overcounts[otherSlot]
            } else {
                entry.count += otherBound
                entry.overcount += otherBound
            }
            combined.append((values[slot], entry))
        }
        for slot in other.values.indices where index.slot(of: other.values[slot], in: values) == nil {
            var entry = other.monitoredValue(atSlot: slot)
            entry.count += ownBound
            entry.overcount += ownBound
            combined.append((other.values[slot], entry))
        }
        combined.sort { MonitoredValue.isRankedBefore($0.entry, $1.entry) }
        hasEvicted = hasEvicted || other.hasEvicted || combined.count > capacity
        let kept = combined.prefix(capacity)
        values = kept.map(\.text)
        overcounts = kept.map(\.entry.overcount)
        rankedCounts = kept.map(\.entry.count)
        rankedSlots = Array(values.indices)
        ranks = Array(values.indices)
        index = FrequentValueIndex(capacity: capacity)
        for slot in values.indices {
            index.insert(slot: slot, stableHash: values[slot].stableHash)
        }
    }

    /// The `limit` monitored values ranked first by ``MonitoredValue/isRankedBefore(_:_:)``.
    func mostFrequent(limit: Int) -> [MonitoredValue] {
        let monitored = values.indices.map(monitoredValue(atSlot:))
        return Array(monitored.sorted(by: MonitoredValue.isRankedBefore).prefix(limit))
    }

    private func monitoredValue(atSlot slot: Int) -> MonitoredValue {
        MonitoredValue(value: values[slot].value, count: count(ofSlot: slot), overcount: overcounts[slot])
    }
}

/// A text together with its ``StableHash``, which positions it in a ``FrequentValueIndex``.
struct HashedText: Sendable {
    /// The text.
    let value: String
    /// ``StableHash/hash(_:)-(String)`` of ``value``.
    let stableHash: UInt64
}
