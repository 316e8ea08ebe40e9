import COpenSSL

/// Cryptographically secure random bytes from OpenSSL's CSPRNG (`RAND_bytes`).
///
/// Neither function throws: if the CSPRNG cannot produce bytes (it failed to seed, which leaves the process unable
/// to make any secret safely), the process traps, the same policy as Swift's `SystemRandomNumberGenerator`.
/// Carrying on with weak randomness would be worse than stopping. Neither function blocks once the CSPRNG is seeded.
public enum SecureRandom {
    /// Returns `count` random bytes.
    /// - Parameter count: how many bytes; zero returns an empty array.
    public static func bytes(count: Int) -> [UInt8] {
        precondition(count >= 0, "SecureRandom.bytes(count:) needs a non-negative count")
        guard count > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initializedCount in
            var offset = 0
            while offset < count {
                let chunk = min(count - offset, Int(Int32.max))
                guard RAND_bytes(buffer.baseAddress! + offset, Int32(chunk)) == 1 else {
                    let code = ERR_get_error()
                    ERR_clear_error()
                    fatalError("RAND_bytes failed (OpenSSL error \(code)); refusing to continue without secure randomness")
                }
                offset += chunk
            }
            initializedCount = count
        }
    }

    /// Returns a random token: `byteCount` random bytes encoded as base64url without padding
    /// (43 characters for the default 32 bytes, that is 256 bits).
    /// - Parameter byteCount: how many random bytes the token carries; defaults to 32.
    public static func token(byteCount: Int = 32) -> String {
        Base64URL.encode(bytes(count: byteCount))
    }
}
