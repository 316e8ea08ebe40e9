/// Counts distinct values: exactly up to ``exactLimit`` distinct hashes, then with HyperLogLog.
///
/// HyperLogLog (Flajolet et al., 2007) with 2^13 = 8,192 one-byte registers and Ertl's improved raw estimator (Ertl,
/// "New cardinality estimation algorithms for HyperLogLog sketches", 2017), which needs neither bias tables nor a switch
/// to linear counting: relative standard error 1.04 / √8192 ≈ 1.15% at every cardinality. Below the limit the sketch keeps
/// the hashes themselves in a small open-addressing table, so small counts are exact (up to 64-bit hash collisions,
/// which are impossible for `int`, `float`, `bool` and `timestamp` values and negligible for text).
///
/// Memory: at most 16 KiB for the table, then 8 KiB of registers. Merging is exact with respect to the sketch: merging two
/// sketches gives the same state as adding both streams to one.
struct DistinctCountSketch: Sendable {
    /// The most distinct hashes counted exactly; the table switches to registers on the next new one.
    static let exactLimit = 1_024
    /// log2 of the register count.
    static let precision = 13
    /// The number of registers: 8,192.
    static let registerCount = 1 << precision
    private static let exactSlotCount = 2 * exactLimit
    /// The largest register value: the run of leading zeros in the 51 bits left after the index, plus one.
    private static let maximumRank = 64 - precision + 1

    /// The exact table: hashes, with 0 marking an empty slot (a hash of 0 is stored as 1). Empty until the first value.
    private var exactSlots: [UInt64] = []
    private var exactCount = 0
    /// HyperLogLog registers; empty while the count is exact.
    private var registers: [UInt8] = []

    /// True while the estimate is an exact count.
    var isExact: Bool { registers.isEmpty }

    /// Records one value's hash (from ``StableHash``).
    @inline(__always)
    mutating func add(hash: UInt64) {
        if registers.isEmpty {
            insertExact(hash)
        } else {
            addToRegisters(hash)
        }
    }

    /// The number of distinct values: exact while ``isExact``, otherwise the HyperLogLog estimate rounded.
    func estimate() -> Int {
        if registers.isEmpty {
            return exactCount
        }
        return Int(Self.improvedEstimate(registers: registers).rounded())
    }

    /// Adds every value counted by `other`.
    mutating func merge(_ other: DistinctCountSketch) {
        if other.registers.isEmpty {
            for hash in other.exactSlots where hash != 0 {
                add(hash: hash)
            }
            return
        }
        if registers.isEmpty {
            switchToRegisters()
        }
        for index in registers.indices where other.registers[index] > registers[index] {
            registers[index] = other.registers[index]
        }
    }

    private mutating func insertExact(_ hash: UInt64) {
        if exactSlots.isEmpty {
            exactSlots = Array(repeating: 0, count: Self.exactSlotCount)
        }
        let key = hash == 0 ? 1 : hash
        let mask = Self.exactSlotCount - 1
        var slot = Int(truncatingIfNeeded: key) & mask
        while true {
            let stored = exactSlots[slot]
            if stored == key {
                return
            }
            if stored == 0 {
                break
            }
            slot = (slot + 1) & mask
        }
        exactSlots[slot] = key
        exactCount += 1
        if exactCount > Self.exactLimit {
            switchToRegisters()
        }
    }

    private mutating func switchToRegisters() {
        registers = Array(repeating: 0, count: Self.registerCount)
        for hash in exactSlots where hash != 0 {
            addToRegisters(hash)
        }
        exactSlots = []
        exactCount = 0
    }

    @inline(__always)
    private mutating func addToRegisters(_ hash: UInt64) {
        let index = Int(truncatingIfNeeded: hash >> UInt64(64 - Self.precision))
        let remaining = hash << UInt64(Self.precision)
        let rank = UInt8(remaining == 0 ? Self.maximumRank : remaining.leadingZeroBitCount + 1)
        if rank > registers[index] {
            registers[index] = rank
        }
    }

    /// Ertl's improved raw estimator (Algorithm 6 of the paper) over a histogram of register values.
    static func improvedEstimate(registers: [UInt8]) -> Double {
        var histogram = Array(repeating: 0, count: maximumRank + 1)
        for register in registers {
            histogram[Int(register)] += 1
        }
        let m = Double(registers.count)
        var z = m * tau(1 - Double(histogram[maximumRank]) / m)
        for rank in stride(from: maximumRank - 1, through: 1, by: -1) {
            z = 0.5 * (z + Double(histogram[rank]))
        }
        z += m * sigma(Double(histogram[0]) / m)
        let alphaInfinity = 0.721_347_520_444_481_7  // 1 / (2 ln 2)
        return alphaInfinity * m * m / z
    }

    private static func sigma(_ x: Double) -> Double {
        if x == 1 {
            return .infinity
        }
        var x = x
        var y = 1.0
        var z = x
        while true {
            x *= x
            let previous = z
            z += x * y
            y += y
            if z == previous {
                return z
            }
        }
    }

    private static func tau(_ x: Double) -> Double {
        if x == 0 || x == 1 {
            return 0
        }
        var x = x
        var y = 1.0
        var z = 1 - x
        while true {
            x = x.squareRoot()
            let previous = z
            y *= 0.5
            z -= (1 - x) * (1 - x) * y
            if z == previous {
                return z / 3
            }
        }
    }
}
