import COpenSSL
import COpenSSLShim

/// Authenticated encryption with AES-256 in Galois/Counter Mode (NIST SP 800-38D) through OpenSSL's EVP interface,
/// for secrets kept at rest: TOTP secrets, API credentials of connected services.
///
/// Keys are 32 bytes (``keyByteCount``), nonces 12 bytes (``nonceByteCount``) and tags 16 bytes (``tagByteCount``).
/// ``open(_:key:additionalData:)`` returns plaintext only when the tag checks out, so a changed nonce, ciphertext,
/// tag or additional data, or a wrong key, all throw ``CryptoError/Code/authenticationFailed``.
/// Nothing here blocks beyond the CPU time of the cipher (gigabytes per second with AES-NI).
public enum AES256GCM {
    /// The key length in bytes (32).
    public static let keyByteCount = 32
    /// The nonce length in bytes (12, the length GCM handles without an extra hashing step).
    public static let nonceByteCount = 12
    /// The authentication tag length in bytes (16, the full tag).
    public static let tagByteCount = 16

    /// Encrypts and authenticates `plaintext`, and authenticates (without encrypting) `additionalData`.
    ///
    /// With 96-bit random nonces, NIST SP 800-38D §8.3 allows at most 2³² messages under one key; rotate keys well
    /// before that. Never pass the same `nonce` twice with one key: GCM then leaks the XOR of the plaintexts and
    /// lets anyone forge tags.
    /// - Parameters:
    ///   - plaintext: the bytes to encrypt; may be empty.
    ///   - key: exactly 32 secret bytes, for example from ``SecureRandom/bytes(count:)``.
    ///   - nonce: 12 bytes; defaults to `nil`, which draws a fresh random nonce. Pass one only to reproduce a known
    ///     vector.
    ///   - additionalData: bytes bound to the ciphertext but not hidden, such as the record's id and column name, so
    ///     that a ciphertext copied to another row fails to open; defaults to none.
    /// - Returns: the nonce, ciphertext (as long as the plaintext) and tag.
    /// - Throws: ``CryptoError`` with ``CryptoError/Code/invalidKeyLength``, ``CryptoError/Code/invalidNonceLength``,
    ///   or ``CryptoError/Code/encryptionFailed`` if OpenSSL fails.
    public static func seal(
        _ plaintext: [UInt8],
        key: [UInt8],
        nonce: [UInt8]? = nil,
        additionalData: [UInt8] = []
    ) throws(CryptoError) -> SealedBox {
        try checkKey(key)
        let nonce = nonce ?? SecureRandom.bytes(count: nonceByteCount)
        try checkNonce(nonce)
        var tag = [UInt8](repeating: 0, count: tagByteCount)
        let result = run(isEncrypting: true, key: key, nonce: nonce, additionalData: additionalData, input: plaintext, tag: &tag)
        switch result {
        case .success(let ciphertext):
            return SealedBox(validNonce: nonce, ciphertext: ciphertext, tag: tag)
        case .failure(let detail):
            throw CryptoError(.encryptionFailed, detail: detail)
        case .tagMismatch:
            throw CryptoError(.encryptionFailed, detail: "EVP_EncryptFinal_ex failed")
        }
    }

    /// Checks the tag and decrypts `box`, returning the plaintext.
    /// - Parameters:
    ///   - box: the sealed box from ``seal(_:key:nonce:additionalData:)``, often rebuilt with
    ///     ``SealedBox/init(combined:)``.
    ///   - key: the 32-byte key it was sealed with.
    ///   - additionalData: the same additional data it was sealed with; defaults to none.
    /// - Throws: ``CryptoError`` with ``CryptoError/Code/authenticationFailed`` when the key is wrong or anything
    ///   sealed was changed; ``CryptoError/Code/invalidKeyLength`` for a key that is not 32 bytes;
    ///   ``CryptoError/Code/encryptionFailed`` if OpenSSL fails.
    public static func open(_ box: SealedBox, key: [UInt8], additionalData: [UInt8] = []) throws(CryptoError) -> [UInt8] {
        try checkKey(key)
        var tag = box.tag
        let result = run(isEncrypting: false, key: key, nonce: box.nonce, additionalData: additionalData, input: box.ciphertext, tag: &tag)
        switch result {
        case .success(let plaintext):
            return plaintext
        case .failure(let detail):
            throw CryptoError(.encryptionFailed, detail: detail)
        case .tagMismatch:
            throw CryptoError(
                .authenticationFailed,
                detail: "the GCM tag did not match: wrong key, or the nonce, ciphertext, tag or additional data changed"
            )
        }
    }

    static func checkKey(_ key: [UInt8]) throws(CryptoError) {
        guard key.count == keyByteCount else {
            throw CryptoError(.invalidKeyLength, detail: "AES-256-GCM needs a \(keyByteCount)-byte key, not \(key.count) bytes")
        }
    }

    static func checkNonce(_ nonce: [UInt8]) throws(CryptoError) {
        guard nonce.count == nonceByteCount else {
            throw CryptoError(.invalidNonceLength, detail: "AES-256-GCM needs a \(nonceByteCount)-byte nonce, not \(nonce.count) bytes")
        }
    }

    private enum Outcome {
        case success([UInt8])
        case failure(String)
        case tagMismatch
    }

    /// Runs one whole GCM encryption or decryption on a fresh `EVP_CIPHER_CTX`, freed before returning.
    /// When encrypting, `tag` receives the tag; when decrypting, it holds the expected tag.
    private static func run(
        isEncrypting: Bool,
        key: [UInt8],
        nonce: [UInt8],
        additionalData: [UInt8],
        input: [UInt8],
        tag: inout [UInt8]
    ) -> Outcome {
        guard let context = EVP_CIPHER_CTX_new() else {
            return .failure("EVP_CIPHER_CTX_new failed: \(drainErrors())")
        }
        defer { EVP_CIPHER_CTX_free(context) }
        let direction: Int32 = isEncrypting ? 1 : 0
        let isStarted = key.withUnsafeBufferPointer { keyBuffer in
            nonce.withUnsafeBufferPointer { nonceBuffer in
                EVP_CipherInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil, direction) == 1
                    && falaj_evp_gcm_set_iv_length(context, Int32(nonceByteCount)) == 1
                    && EVP_CipherInit_ex(context, nil, nil, keyBuffer.baseAddress, nonceBuffer.baseAddress, direction) == 1
            }
        }
        guard isStarted else {
            return .failure("EVP_CipherInit_ex(AES-256-GCM) failed: \(drainErrors())")
        }
        guard update(context, input: additionalData, output: nil) else {
            return .failure("EVP_CipherUpdate(additional data) failed: \(drainErrors())")
        }
        var output = [UInt8](repeating: 0, count: input.count)
        let isUpdated = output.withUnsafeMutableBufferPointer { update(context, input: input, output: $0.baseAddress) }
        guard isUpdated else {
            return .failure("EVP_CipherUpdate failed: \(drainErrors())")
        }
        if !isEncrypting {
            guard tag.withUnsafeBufferPointer({ falaj_evp_gcm_set_tag(context, $0.baseAddress, Int32($0.count)) }) == 1 else {
                return .failure("EVP_CTRL_GCM_SET_TAG failed: \(drainErrors())")
            }
        }
        var scratch = [UInt8](repeating: 0, count: 16)
        var finalCount: Int32 = 0
        guard EVP_CipherFinal_ex(context, &scratch, &finalCount) == 1, finalCount == 0 else {
            _ = drainErrors()
            // Unauthenticated plaintext must not escape, not even in memory we are about to free.
            output.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            return isEncrypting ? .failure("EVP_EncryptFinal_ex failed") : .tagMismatch
        }
        if isEncrypting {
            guard tag.withUnsafeMutableBufferPointer({ falaj_evp_gcm_get_tag(context, $0.baseAddress, Int32($0.count)) }) == 1 else {
                return .failure("EVP_CTRL_GCM_GET_TAG failed: \(drainErrors())")
            }
        }
        return .success(output)
    }

    /// Feeds `input` to the cipher in chunks that fit OpenSSL's `int` lengths. With a nil `output` the bytes are
    /// additional data; otherwise exactly `input.count` bytes are written to `output`.
    private static func update(_ context: OpaquePointer, input: [UInt8], output: UnsafeMutablePointer<UInt8>?) -> Bool {
        input.withUnsafeBufferPointer { inputBuffer in
            var offset = 0
            while offset < inputBuffer.count {
                let chunk = min(inputBuffer.count - offset, 1 << 30)
                var written: Int32 = 0
                let status = EVP_CipherUpdate(context, output.map { $0 + offset }, &written, inputBuffer.baseAddress! + offset, Int32(chunk))
                guard status == 1, written == Int32(chunk) || output == nil else { return false }
                offset += chunk
            }
            return true
        }
    }

    /// Empties this thread's OpenSSL error queue, returning the first message. Called in the same synchronous frame
    /// as the failing call (STYLE.md §7).
    private static func drainErrors() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return "no OpenSSL error queued" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
