import FalajCrypto

/// The bearer secrets of enrolment: join tokens (`fjn_…`) and agent credentials (`fag_…`), each the prefix plus
/// base64url of 32 random bytes. Only their SHA-256 is stored; the clear text is shown once.
enum AgentSecrets {
    /// The prefix of join tokens.
    static let joinTokenPrefix = "fjn_"
    /// The prefix of agent credentials.
    static let credentialPrefix = "fag_"
    /// How many characters of a join token lists show (`display_prefix`).
    static let displayPrefixLength = 12
    /// Prefix (4) + base64url of 32 bytes without padding (43).
    static let tokenLength = 47

    /// A new join token.
    static func makeJoinToken() -> String { joinTokenPrefix + SecureRandom.token(byteCount: 32) }

    /// A new agent credential.
    static func makeCredential() -> String { credentialPrefix + SecureRandom.token(byteCount: 32) }

    /// What the database stores for a token or credential.
    static func hash(_ secret: String) -> [UInt8] { SHA256.hash(Array(secret.utf8)) }

    /// The part of a join token lists show.
    static func displayPrefix(of token: String) -> String { String(token.prefix(displayPrefixLength)) }

    /// Whether `secret` has the shape of a token with `prefix`; anything else is refused before touching the database.
    static func isWellFormed(_ secret: String, prefix: String) -> Bool {
        secret.utf8.count == tokenLength && secret.hasPrefix(prefix) && Base64URL.decode(secret.dropFirst(prefix.count))?.count == 32
    }
}

/// Rules shared by join tokens and inventories: labels and bounded numbers.
enum AgentValidation {
    /// The most labels a token or node may carry.
    static let maximumLabels = 20
    /// The longest label value.
    static let maximumLabelValueLength = 63

    /// A message for the first label that breaks the rules, or nil when all are fine.
    ///
    /// Keys: 1…63 characters of `a-z 0-9 . _ -`, starting and ending with a letter or digit. Values: at most 63
    /// printable ASCII characters. At most ``maximumLabels`` labels.
    static func labelProblem(_ labels: [String: String]) -> String? {
        guard labels.count <= maximumLabels else { return "Use at most \(maximumLabels) labels" }
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) {
            guard isValidLabelKey(key) else {
                return
                    "Label '\(String(key.prefix(63)))' must be 1–63 lower-case letters, digits, '.', '_' or '-', starting and ending with a letter or digit"
            }
            guard value.unicodeScalars.count <= maximumLabelValueLength, value.unicodeScalars.allSatisfy({ (0x20...0x7E).contains($0.value) }) else {
                return "The value of label '\(key)' must be at most \(maximumLabelValueLength) printable characters"
            }
        }
        return nil
    }

    /// `^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$`.
    static func isValidLabelKey(_ key: String) -> Bool {
        let bytes = Array(key.utf8)
        guard (1...63).contains(bytes.count) else { return false }
        func isAlphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard isAlphanumeric(bytes[0]), isAlphanumeric(bytes[bytes.count - 1]) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }
}
