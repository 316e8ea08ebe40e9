import COpenSSL

/// HMAC with SHA-1 (RFC 2104), kept for ``TOTP`` alone: RFC 6238 authenticator apps expect SHA-1.
///
/// HMAC-SHA-1 is still sound as a MAC, but new uses should choose ``HMACSHA256``; hence `package`, not `public`.
package enum HMACSHA1 {
    /// The length of an HMAC-SHA-1 tag in bytes (20).
    package static let byteCount = 20

    /// Returns the HMAC-SHA-1 tag of `message` under `key`.
    /// - Parameters:
    ///   - message: the bytes to authenticate.
    ///   - key: the secret key.
    package static func authenticate(message: some Sequence<UInt8>, key: some Sequence<UInt8>) -> [UInt8] {
        key.withContiguousBytes { keyBytes in
            message.withContiguousBytes { messageBytes in
                precondition(keyBytes.count <= Int(Int32.max), "HMAC key too long")
                return [UInt8](unsafeUninitializedCapacity: byteCount) { output, initializedCount in
                    var length: UInt32 = 0
                    let result = HMAC(
                        EVP_sha1(),
                        keyBytes.baseAddress,
                        Int32(keyBytes.count),
                        messageBytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
                        messageBytes.count,
                        output.baseAddress,
                        &length
                    )
                    precondition(result != nil && length == UInt32(byteCount), "HMAC(SHA-1) failed")
                    initializedCount = byteCount
                }
            }
        }
    }
}
