import COpenSSL

/// Comparisons whose running time does not depend on where the inputs differ.
public enum ConstantTime {
    /// Whether `lhs` and `rhs` hold the same bytes, compared with `CRYPTO_memcmp`.
    ///
    /// The time taken depends on the length but not on the contents, so use it to compare MACs, token hashes and
    /// other secrets. Inputs of different lengths return `false` at once: lengths are not treated as secret.
    /// - Parameters:
    ///   - lhs: the first byte sequence.
    ///   - rhs: the second byte sequence.
    public static func equals(_ lhs: some Sequence<UInt8>, _ rhs: some Sequence<UInt8>) -> Bool {
        lhs.withContiguousBytes { left in
            rhs.withContiguousBytes { right in
                guard left.count == right.count else { return false }
                guard left.count > 0 else { return true }
                return CRYPTO_memcmp(left.baseAddress, right.baseAddress, left.count) == 0
            }
        }
    }
}
