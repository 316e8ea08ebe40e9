/// Finds a ``FrequentValueSketch`` slot by its text, positioned by the text's ``StableHash``.
///
/// An open-addressing table with linear probing and backward-shift deletion, at most half full. It replaces a
/// `Dictionary<String, Int>`, whose lookups would hash the whole text again with a seeded SipHash; here a lookup reuses the
/// hash already computed for the distinct count, and compares texts only when the 64-bit hashes agree.
struct FrequentValueIndex: Sendable {
    private struct Entry: Sendable {
        var stableHash: UInt64
        /// The slot plus one; 0 marks an empty entry.
        var slotPlusOne: Int32
    }

    private static let empty = Entry(stableHash: 0, slotPlusOne: 0)
    private var entries: [Entry]
    private let mask: Int

    /// Creates an empty index for up to `capacity` slots.
    init(capacity: Int) {
        var size = 16
        while size < 2 * capacity {
            size *= 2
        }
        entries = Array(repeating: Self.empty, count: size)
        mask = size - 1
    }

    /// The slot holding `text`, if any.
    ///
    /// - Parameters:
    ///   - text: The text looked for.
    ///   - values: The sketch's slots, to compare texts whose hashes match.
    @inline(__always)
    func slot(of text: HashedText, in values: [HashedText]) -> Int? {
        var position = home(of: text.stableHash)
        while true {
            let entry = entries[position]
            if entry.slotPlusOne == 0 {
                return nil
            }
            let slot = Int(entry.slotPlusOne) - 1
            if entry.stableHash == text.stableHash && values[slot].value == text.value {
                return slot
            }
            position = (position + 1) & mask
        }
    }

    /// Records that `slot` holds a text with `stableHash`; the text must not be indexed already.
    mutating func insert(slot: Int, stableHash: UInt64) {
        var position = home(of: stableHash)
        while entries[position].slotPlusOne != 0 {
            position = (position + 1) & mask
        }
        entries[position] = Entry(stableHash: stableHash, slotPlusOne: Int32(slot + 1))
    }

    /// Forgets `slot`, which holds a text with `stableHash`, moving later entries of its probe run back into the gap.
    mutating func remove(slot: Int, stableHash: UInt64) {
        var hole = home(of: stableHash)
        while Int(entries[hole].slotPlusOne) != slot + 1 {
            precondition(entries[hole].slotPlusOne != 0, "FrequentValueIndex lost a slot")
            hole = (hole + 1) & mask
        }
        var next = (hole + 1) & mask
        while entries[next].slotPlusOne != 0 {
            let nextHome = home(of: entries[next].stableHash)
            // The entry may move back to the hole when the hole lies between its home and its position.
            if (next - nextHome) & mask >= (next - hole) & mask {
                entries[hole] = entries[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        entries[hole] = Self.empty
    }

    @inline(__always)
    private func home(of stableHash: UInt64) -> Int {
        Int(truncatingIfNeeded: stableHash) & mask
    }
}
