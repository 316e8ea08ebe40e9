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
        openSSLHMAC(EVP_sha1(), byteCount: byteCount, message: message, key: key)
    }
}
