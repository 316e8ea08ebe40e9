import FalajCrypto
import Testing

@Suite struct AES256GCMTests {
    private static func bytes(_ hex: String) -> [UInt8] {
        Hex.decode(hex)!
    }

    /// The AES-256 test cases 13 to 16 of McGrew and Viega, "The Galois/Counter Mode of Operation", as used by NIST's
    /// GCM validation.
    @Test(arguments: [
        (
            "0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000", "", "", "",
            "530f8afbc74536b9a963b4f1c4cb738b"
        ),
        (
            "0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000",
            "00000000000000000000000000000000", "", "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"
        ),
        (
            "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
            "",
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
            "b094dac5d93471bdec1a502270e3cc6c"
        ),
        (
            "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
            "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
            "76fc6ece0f4e1768cddf8853bb2d551b"
        ),
    ])
    func matchesPublishedGCMVectors(key: String, nonce: String, plaintext: String, aad: String, ciphertext: String, tag: String) throws {
        let box = try AES256GCM.seal(Self.bytes(plaintext), key: Self.bytes(key), nonce: Self.bytes(nonce), additionalData: Self.bytes(aad))
        #expect(Hex.encode(box.nonce) == nonce)
        #expect(Hex.encode(box.ciphertext) == ciphertext)
        #expect(Hex.encode(box.tag) == tag)
        #expect(Hex.encode(box.combined) == nonce + ciphertext + tag)
        let reopened = try AES256GCM.SealedBox(combined: Self.bytes(nonce + ciphertext + tag))
        #expect(try AES256GCM.open(reopened, key: Self.bytes(key), additionalData: Self.bytes(aad)) == Self.bytes(plaintext))
    }

    @Test func roundTripsWithARandomNonceAcrossLengths() throws {
        let key = SecureRandom.bytes(count: 32)
        for count in [0, 1, 15, 16, 17, 1000, 70_000] {
            let plaintext = SecureRandom.bytes(count: count)
            let box = try AES256GCM.seal(plaintext, key: key, additionalData: Array("users.totp_secret:42".utf8))
            #expect(box.nonce.count == 12 && box.tag.count == 16 && box.ciphertext.count == count)
            #expect(box.combined.count == count + 28)
            let reopened = try AES256GCM.SealedBox(combined: box.combined)
            #expect(reopened == box)
            #expect(try AES256GCM.open(reopened, key: key, additionalData: Array("users.totp_secret:42".utf8)) == plaintext)
        }
    }

    @Test func sealingTwiceUsesFreshNonces() throws {
        let key = SecureRandom.bytes(count: 32)
        let first = try AES256GCM.seal(Array("same".utf8), key: key)
        let second = try AES256GCM.seal(Array("same".utf8), key: key)
        #expect(first.nonce != second.nonce)
        #expect(first.ciphertext != second.ciphertext)
    }

    /// Flips one bit at each position of the combined bytes (nonce, ciphertext and tag alike) and expects every
    /// variant to be refused.
    @Test func anyChangedByteIsRefused() throws {
        let key = SecureRandom.bytes(count: 32)
        let aad = Array("tenant:7".utf8)
        let combined = try AES256GCM.seal(Array("the TOTP secret".utf8), key: key, additionalData: aad).combined
        for index in combined.indices {
            var tampered = combined
            tampered[index] ^= 0x01
            expectAuthenticationFailure { () throws(CryptoError) in
                try AES256GCM.open(try AES256GCM.SealedBox(combined: tampered), key: key, additionalData: aad)
            }
        }
    }

    @Test func wrongAdditionalDataOrKeyIsRefused() throws {
        let key = SecureRandom.bytes(count: 32)
        let box = try AES256GCM.seal(Array("secret".utf8), key: key, additionalData: Array("tenant:7".utf8))
        expectAuthenticationFailure { () throws(CryptoError) in try AES256GCM.open(box, key: key, additionalData: Array("tenant:8".utf8)) }
        expectAuthenticationFailure { () throws(CryptoError) in try AES256GCM.open(box, key: key) }
        expectAuthenticationFailure { () throws(CryptoError) in try AES256GCM.open(box, key: SecureRandom.bytes(count: 32), additionalData: Array("tenant:7".utf8)) }
        let unbound = try AES256GCM.seal(Array("secret".utf8), key: key)
        expectAuthenticationFailure { () throws(CryptoError) in try AES256GCM.open(unbound, key: key, additionalData: [0]) }
    }

    @Test func truncatedOrExtendedCiphertextIsRefused() throws {
        let key = SecureRandom.bytes(count: 32)
        let box = try AES256GCM.seal(Array("sixteen bytes!!!".utf8), key: key)
        let shorter = try AES256GCM.SealedBox(nonce: box.nonce, ciphertext: Array(box.ciphertext.dropLast()), tag: box.tag)
        let longer = try AES256GCM.SealedBox(nonce: box.nonce, ciphertext: box.ciphertext + [0], tag: box.tag)
        expectAuthenticationFailure { () throws(CryptoError) in try AES256GCM.open(shorter, key: key) }
        expectAuthenticationFailure { () throws(CryptoError) in try AES256GCM.open(longer, key: key) }
    }

    @Test(arguments: [0, 16, 31, 33, 64])
    func keysOtherThanThirtyTwoBytesAreRejected(length: Int) {
        let key = [UInt8](repeating: 7, count: length)
        #expect(code { () throws(CryptoError) in _ = try AES256GCM.seal([1, 2, 3], key: key) } == .invalidKeyLength)
        let box = try? AES256GCM.seal([1, 2, 3], key: SecureRandom.bytes(count: 32))
        #expect(code { () throws(CryptoError) in _ = try AES256GCM.open(box!, key: key) } == .invalidKeyLength)
    }

    @Test func malformedNoncesTagsAndCombinedBytesAreRejected() {
        let key = SecureRandom.bytes(count: 32)
        #expect(code { () throws(CryptoError) in _ = try AES256GCM.seal([1], key: key, nonce: [UInt8](repeating: 0, count: 16)) } == .invalidNonceLength)
        #expect(code { () throws(CryptoError) in _ = try AES256GCM.seal([1], key: key, nonce: []) } == .invalidNonceLength)
        #expect(code { () throws(CryptoError) in _ = try AES256GCM.SealedBox(combined: [UInt8](repeating: 0, count: 27)) } == .malformedSealedBox)
        #expect(code { () throws(CryptoError) in _ = try AES256GCM.SealedBox(combined: []) } == .malformedSealedBox)
        let zeros = [UInt8](repeating: 0, count: 12)
        #expect(code { () throws(CryptoError) in _ = try AES256GCM.SealedBox(nonce: zeros, ciphertext: [], tag: [1, 2]) } == .malformedSealedBox)
        #expect(code { () throws(CryptoError) in _ = try AES256GCM.SealedBox(nonce: [1], ciphertext: [], tag: zeros + [0, 0, 0, 0]) } == .invalidNonceLength)
    }

    @Test func authenticationErrorsAreRedactedButExplainedInLogs() throws {
        let box = try AES256GCM.seal([1, 2, 3], key: SecureRandom.bytes(count: 32))
        do {
            _ = try AES256GCM.open(box, key: SecureRandom.bytes(count: 32))
            Issue.record("opened with the wrong key")
        } catch {
            #expect(error.description == "CryptoError(authenticationFailed)")
            #expect(String(reflecting: error).contains("tag did not match"))
        }
    }

    private func code(_ body: () throws(CryptoError) -> Void) -> CryptoError.Code? {
        do {
            try body()
            return nil
        } catch {
            return error.code
        }
    }

    private func expectAuthenticationFailure(
        _ body: () throws(CryptoError) -> [UInt8],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            let plaintext = try body()
            Issue.record("tampered box opened to \(plaintext.count) bytes", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == .authenticationFailed, sourceLocation: sourceLocation)
        }
    }
}
