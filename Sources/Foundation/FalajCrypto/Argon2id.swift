import BlockingPool
import CArgon2
import COpenSSL

/// Password hashing with argon2id (RFC 9106), producing and checking standard PHC strings such as
/// `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`.
///
/// Each hash takes tens of milliseconds of CPU and ``Parameters/memoryKiB`` of memory, so both functions run
/// libargon2 on a dedicated two-thread ``BlockingPool`` (`falaj-argon2`), never on Swift's cooperative pool: the
/// calling task suspends, it does not block. At most two hashes run at once; further calls queue in order.
///
/// To avoid revealing which accounts exist, verify against a fixed dummy hash when a login names an unknown user.
public enum Argon2id {
    /// Dedicated threads: argon2 blocks for its whole run, and two threads bound the memory used at once.
    private static let pool = BlockingPool(name: "falaj-argon2", threadCount: 2)

    /// Hashes `password` with a fresh 16-byte random salt and returns the encoded PHC string.
    ///
    /// Suspends while a pool thread hashes (about 20–50 ms at the default parameters).
    /// - Parameters:
    ///   - password: the password as typed; its UTF-8 bytes are hashed as they are, without normalisation.
    ///   - parameters: the costs; defaults to ``Parameters/owasp`` (m=19456 KiB, t=2, p=1).
    /// - Throws: ``CryptoError`` with ``CryptoError/Code/invalidParameters`` for out-of-range costs, or
    ///   ``CryptoError/Code/hashingFailed`` when libargon2 fails (for example it cannot allocate the memory).
    public static func hash(password: String, parameters: Parameters = .owasp) async throws -> String {
        try parameters.validate()
        let salt = SecureRandom.bytes(count: parameters.saltByteCount)
        return try await pool.run {
            try withPasswordBytes(password) { passwordBytes in
                try encode(passwordBytes, salt: salt, parameters: parameters)
            }
        }
    }

    /// Whether `password` matches the encoded PHC string `encoded`, compared in constant time by libargon2.
    ///
    /// Suspends while a pool thread hashes, with the costs recorded in `encoded`.
    /// - Parameters:
    ///   - password: the password as typed.
    ///   - encoded: a string from ``hash(password:parameters:)``.
    /// - Returns: `true` on a match, `false` for a wrong password.
    /// - Throws: ``CryptoError`` with ``CryptoError/Code/malformedEncodedHash`` when `encoded` is not an argon2id
    ///   PHC string, ``CryptoError/Code/invalidParameters`` when its costs exceed the ``Parameters`` maxima (a
    ///   tampered hash must not make us allocate gigabytes), or ``CryptoError/Code/hashingFailed``.
    public static func verify(password: String, encoded: String) async throws -> Bool {
        guard let recorded = Parameters(encoded: encoded) else {
            throw CryptoError(.malformedEncodedHash)
        }
        try recorded.validate()
        return try await pool.run {
            try withPasswordBytes(password) { passwordBytes in
                let status = argon2id_verify(encoded, passwordBytes.baseAddress, passwordBytes.count)
                switch status {
                case ARGON2_OK.rawValue:
                    return true
                case ARGON2_VERIFY_MISMATCH.rawValue:
                    return false
                case ARGON2_DECODING_FAIL.rawValue, ARGON2_INCORRECT_TYPE.rawValue:
                    throw CryptoError(.malformedEncodedHash, detail: message(for: status))
                default:
                    throw CryptoError(.hashingFailed, detail: message(for: status))
                }
            }
        }
    }

    /// Whether `encoded` was made with costs other than `parameters` (or cannot be read), so that it should be
    /// replaced by a fresh hash after the next successful login. Does not hash; returns at once.
    /// - Parameters:
    ///   - encoded: a stored PHC string.
    ///   - parameters: the costs new hashes use; defaults to ``Parameters/owasp``.
    public static func needsRehash(_ encoded: String, parameters: Parameters = .owasp) -> Bool {
        Parameters(encoded: encoded) != parameters
    }

    /// Runs on a pool thread: hashes and encodes.
    private static func encode(_ password: UnsafeRawBufferPointer, salt: [UInt8], parameters: Parameters) throws -> String {
        let capacity = argon2_encodedlen(
            parameters.iterations,
            parameters.memoryKiB,
            parameters.parallelism,
            UInt32(parameters.saltByteCount),
            UInt32(parameters.hashByteCount),
            Argon2_id
        )
        var encoded = [CChar](repeating: 0, count: capacity)
        let status = salt.withUnsafeBytes { saltBytes in
            argon2id_hash_encoded(
                parameters.iterations,
                parameters.memoryKiB,
                parameters.parallelism,
                password.baseAddress,
                password.count,
                saltBytes.baseAddress,
                saltBytes.count,
                parameters.hashByteCount,
                &encoded,
                capacity
            )
        }
        guard status == ARGON2_OK.rawValue else {
            throw CryptoError(.hashingFailed, detail: message(for: status))
        }
        return encoded.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Copies the password's UTF-8 bytes, passes them to `body`, and wipes the copy (`OPENSSL_cleanse`) afterwards.
    private static func withPasswordBytes<Result>(
        _ password: String,
        _ body: (UnsafeRawBufferPointer) throws -> Result
    ) throws -> Result {
        var bytes = Array(password.utf8)
        defer {
            bytes.withUnsafeMutableBytes { buffer in
                if let base = buffer.baseAddress {
                    OPENSSL_cleanse(base, buffer.count)
                }
            }
        }
        return try bytes.withContiguousBytes(body)
    }

    private static func message(for status: Int32) -> String {
        String(cString: argon2_error_message(status))
    }
}
