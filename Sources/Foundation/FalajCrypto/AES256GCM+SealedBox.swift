extension AES256GCM {
    /// The output of ``AES256GCM/seal(_:key:nonce:additionalData:)``: nonce, ciphertext and tag.
    ///
    /// Store ``combined`` (nonce ‖ ciphertext ‖ tag, 28 bytes longer than the plaintext) in one `bytea` column and
    /// rebuild the box with ``init(combined:)``. None of the three parts is secret.
    public struct SealedBox: Sendable, Hashable {
        /// The 12-byte nonce.
        public let nonce: [UInt8]
        /// The ciphertext, as long as the plaintext.
        public let ciphertext: [UInt8]
        /// The 16-byte authentication tag.
        public let tag: [UInt8]

        /// Builds a box from its parts, checking only their lengths; ``AES256GCM/open(_:key:additionalData:)``
        /// checks the rest.
        /// - Parameters:
        ///   - nonce: 12 bytes.
        ///   - ciphertext: the encrypted bytes; may be empty.
        ///   - tag: 16 bytes.
        /// - Throws: ``CryptoError`` with ``CryptoError/Code/invalidNonceLength`` or
        ///   ``CryptoError/Code/malformedSealedBox`` for a tag that is not 16 bytes.
        public init(nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8]) throws(CryptoError) {
            try AES256GCM.checkNonce(nonce)
            guard tag.count == AES256GCM.tagByteCount else {
                throw CryptoError(.malformedSealedBox, detail: "an AES-256-GCM tag is \(AES256GCM.tagByteCount) bytes, not \(tag.count)")
            }
            self.init(validNonce: nonce, ciphertext: ciphertext, tag: tag)
        }

        /// Splits `combined` bytes (nonce ‖ ciphertext ‖ tag) into a box.
        /// - Parameter combined: bytes from ``combined``; at least 28 bytes.
        /// - Throws: ``CryptoError`` with ``CryptoError/Code/malformedSealedBox`` when there are fewer than 28 bytes.
        public init(combined: [UInt8]) throws(CryptoError) {
            let overhead = AES256GCM.nonceByteCount + AES256GCM.tagByteCount
            guard combined.count >= overhead else {
                throw CryptoError(
                    .malformedSealedBox,
                    detail: "a sealed box needs at least \(overhead) bytes (nonce and tag), got \(combined.count)"
                )
            }
            let tagStart = combined.count - AES256GCM.tagByteCount
            self.init(
                validNonce: Array(combined[..<AES256GCM.nonceByteCount]),
                ciphertext: Array(combined[AES256GCM.nonceByteCount..<tagStart]),
                tag: Array(combined[tagStart...])
            )
        }

        init(validNonce nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8]) {
            self.nonce = nonce
            self.ciphertext = ciphertext
            self.tag = tag
        }

        /// The nonce, ciphertext and tag in one byte array, the form to store or send.
        public var combined: [UInt8] {
            nonce + ciphertext + tag
        }
    }
}
