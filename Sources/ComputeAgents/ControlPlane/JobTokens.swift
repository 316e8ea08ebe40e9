import FalajCrypto
import Foundation

/// Job-scoped tokens: `fjt.<region of the job's cell>.<base64url of 32 random bytes>`.
///
/// The region part tells the control plane which cell holds the attempt; only the SHA-256 of the whole token is
/// stored (`job_attempts.token_hash`). A token is good for one attempt and rank of one job while its lease lasts.
enum JobTokens {
    /// The prefix of every job token.
    static let prefix = "fjt."

    /// A fresh token for an attempt whose job lives in `region`'s cell, and its hash.
    static func make(region: String) -> (token: String, hash: [UInt8]) {
        let token = "\(prefix)\(region).\(SecureRandom.token(byteCount: 32))"
        return (token, SHA256.hash(Array(token.utf8)))
    }

    /// A random hash that no token has, for gang members whose token is made when they pick their assignment up.
    static func placeholderHash() -> [UInt8] { SecureRandom.bytes(count: 32) }

    /// The region and hash of a presented token, or nil when it is not shaped like one.
    static func parse(_ bearer: String) -> (region: String, hash: [UInt8])? {
        guard bearer.hasPrefix(prefix), bearer.utf8.count <= 200 else { return nil }
        let rest = bearer.dropFirst(prefix.count)
        guard let dot = rest.firstIndex(of: ".") else { return nil }
        let region = String(rest[..<dot])
        let secret = rest[rest.index(after: dot)...]
        guard !region.isEmpty, region.count <= 40, secret.count >= 40, Base64URL.decode(secret) != nil else { return nil }
        return (region, SHA256.hash(Array(bearer.utf8)))
    }
}
