import COpenSSL

/// HMAC with SHA-256 (RFC 2104), for signed cookies, CSRF tokens and webhook signatures.
public enum HMACSHA256 {
    /// The length of an HMAC-SHA-256 tag in bytes (32).
    public static let byteCount = 32

    /// Returns the HMAC-SHA-256 tag of `message` under `key`.
    /// - Parameters:
    ///   - message: the bytes to authenticate.
    ///   - key: the secret key; 32 random bytes from ``SecureRandom/bytes(count:)`` is a good choice.
    public static func authenticate(message: some Sequence<UInt8>, key: some Sequence<UInt8>) -> [UInt8] {
        openSSLHMAC(EVP_sha256(), byteCount: byteCount, message: message, key: key)
    }

    /// Whether `tag` is the HMAC-SHA-256 of `message` under `key`, compared in constant time
    /// (``ConstantTime/equals(_:_:)``).
    /// - Parameters:
    ///   - tag: the tag that came with the message.
    ///   - message: the bytes that were authenticated.
    ///   - key: the secret key.
    public static func isValid(
        _ tag: some Sequence<UInt8>,
        message: some Sequence<UInt8>,
        key: some Sequence<UInt8>
    ) -> Bool {
        ConstantTime.equals(authenticate(message: message, key: key), tag)
    }
}

/// One-shot HMAC through OpenSSL's `HMAC()` with the digest `digest`, whose output is `byteCount` bytes.
/// Shared by ``HMACSHA256`` and ``HMACSHA1``.
func openSSLHMAC(_ digest: OpaquePointer?, byteCount: Int, message: some Sequence<UInt8>, key: some Sequence<UInt8>) -> [UInt8] {
    key.withContiguousBytes { keyBytes in
        message.withContiguousBytes { messageBytes in
            precondition(keyBytes.count <= Int(Int32.max), "HMAC key too long")
            return [UInt8](unsafeUninitializedCapacity: byteCount) { output, initializedCount in
                var length: UInt32 = 0
                let result = HMAC(
                    digest,
                    keyBytes.baseAddress,
                    Int32(keyBytes.count),
                    messageBytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
                    messageBytes.count,
                    output.baseAddress,
                    &length
                )
                precondition(result != nil && length == UInt32(byteCount), "HMAC failed")
                initializedCount = byteCount
            }
        }
    }
}
