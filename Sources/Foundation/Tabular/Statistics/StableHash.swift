/// A fixed 64-bit hash of a value's canonical bytes, identical in every process and every release.
///
/// Swift's `Hasher` is seeded per process, so it cannot feed a sketch whose state must mean the same thing tomorrow.
/// Integers, timestamps and floats go through the splitmix64 finaliser (a bijection, so distinct 64-bit patterns never
/// collide); text goes through FNV-1a over its UTF-8 bytes followed by the same finaliser, because FNV-1a's high bits mix
/// poorly on their own and HyperLogLog reads the high bits first.
///
/// Changing anything here changes the meaning of stored sketches: don't.
enum StableHash {
    private static let fnvOffsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    private static let fnvPrime: UInt64 = 0x0000_0100_0000_01b3

    /// The splitmix64 finaliser (Steele, Lea and Flood, 2014): every input bit affects every output bit.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// The hash of a 64-bit integer (an `int` or a `timestamp`'s microseconds).
    @inline(__always)
    static func hash(_ value: Int64) -> UInt64 {
        mix(UInt64(bitPattern: value))
    }

    /// The hash of a float; `-0.0` hashes like `0.0` because they compare equal.
    @inline(__always)
    static func hash(_ value: Double) -> UInt64 {
        mix(value == 0 ? 0 : value.bitPattern)
    }

    /// The hash of a bool.
    @inline(__always)
    static func hash(_ value: Bool) -> UInt64 {
        mix(value ? 1 : 0)
    }

    /// The hash of a text's UTF-8 bytes (no Unicode normalisation: "é" precomposed and decomposed differ).
    static func hash(_ value: String) -> UInt64 {
        hashAndScalarCount(value).hash
    }

    /// The hash of a text's UTF-8 bytes and, from the same pass, its length in Unicode scalars (code points, as
    /// Postgres's `length()` and Python's `len()` count them).
    static func hashAndScalarCount(_ value: String) -> (hash: UInt64, scalarCount: Int) {
        if let contiguous = value.utf8.withContiguousStorageIfAvailable({ fnv1aAndScalarCount($0) }) {
            return (mix(contiguous.state), contiguous.scalarCount)
        }
        let copied = fnv1aAndScalarCount(Array(value.utf8))
        return (mix(copied.state), copied.scalarCount)
    }

    /// FNV-1a over `bytes`, and the number of bytes that start a UTF-8 sequence (that are not `0b10xx_xxxx`).
    @inline(__always)
    private static func fnv1aAndScalarCount(_ bytes: some Collection<UInt8>) -> (state: UInt64, scalarCount: Int) {
        var state = fnvOffsetBasis
        var continuationCount = 0
        for byte in bytes {
            state = (state ^ UInt64(byte)) &* fnvPrime
            continuationCount &+= byte & 0xc0 == 0x80 ? 1 : 0
        }
        return (state, bytes.count - continuationCount)
    }
}
