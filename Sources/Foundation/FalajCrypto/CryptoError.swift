/// An error from ``FalajCrypto``.
///
/// The ``description`` is redacted: it names only the ``Code``. The library detail (an argon2 or OpenSSL
/// message) and the throwing site appear only in ``debugDescription`` (`String(reflecting:)`), meant for logs.
public struct CryptoError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong. A struct rather than an enum so that new codes can be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidParameters
            case malformedEncodedHash
            case hashingFailed
            case malformedEncoding
            case invalidKeyLength
            case invalidNonceLength
            case malformedSealedBox
            case authenticationFailed
            case encryptionFailed
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// Argon2 parameters out of range (for example zero iterations or a memory cost below 8 × parallelism KiB),
        /// or an encoded hash whose costs exceed ``Argon2id/Parameters/maximumMemoryKiB`` and friends.
        public static let invalidParameters = Code(.invalidParameters)
        /// An encoded hash string that is not a well-formed `$argon2id$v=19$…` string.
        public static let malformedEncodedHash = Code(.malformedEncodedHash)
        /// The underlying library failed (for example it could not allocate the memory cost).
        public static let hashingFailed = Code(.hashingFailed)
        /// Text that is not valid in the expected encoding, for example a ``Base32`` secret holding the digit `1`.
        public static let malformedEncoding = Code(.malformedEncoding)
        /// A key of the wrong length, for example an ``AES256GCM`` key that is not exactly 32 bytes.
        public static let invalidKeyLength = Code(.invalidKeyLength)
        /// A nonce of the wrong length, for example an ``AES256GCM`` nonce that is not exactly 12 bytes.
        public static let invalidNonceLength = Code(.invalidNonceLength)
        /// Combined sealed-box bytes too short to hold a nonce and a tag (``AES256GCM/SealedBox/init(combined:)``).
        public static let malformedSealedBox = Code(.malformedSealedBox)
        /// Authenticated decryption failed: the key is wrong, or the nonce, ciphertext, tag or additional data were
        /// changed. No plaintext is returned.
        public static let authenticationFailed = Code(.authenticationFailed)
        /// The cipher library failed for a reason other than authentication (for example it could not allocate).
        public static let encryptionFailed = Code(.encryptionFailed)

        /// The code's name, for example `malformedEncodedHash`.
        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// The library's own message; shown only by ``debugDescription``.
    package let detail: String?
    /// The file that threw the error.
    public let file: String
    /// The line that threw the error.
    public let line: Int

    /// Creates an error.
    /// - Parameters:
    ///   - code: what went wrong.
    ///   - detail: the library's message, kept out of ``description``.
    package init(_ code: Code, detail: String? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.detail = detail
        self.file = file
        self.line = line
    }

    /// `CryptoError(code)`, without library detail, safe to show anywhere.
    public var description: String { "CryptoError(\(code))" }

    /// The code, the library detail and the throwing site, for logs.
    public var debugDescription: String {
        "CryptoError(code: \(code), detail: \(detail ?? "none"), at: \(file):\(line))"
    }
}
