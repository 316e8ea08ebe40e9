import FalajCrypto
import Testing

@Suite struct DigestTests {
    @Test func sha256OfAbcMatchesFIPSVector() {
        #expect(SHA256.hexString("abc".utf8) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func sha256OfEmptyInputMatchesKnownDigest() {
        #expect(SHA256.hexString([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Hex.encode(SHA256.Hasher().finalize()) == SHA256.hexString([UInt8]()))
    }

    @Test func streamingHasherMatchesOneShotAcrossChunkBoundaries() {
        let message = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let hasher = SHA256.Hasher()
        var offset = 0
        for chunkSize in [1, 63, 64, 65, 4096, 7] {
            let end = min(offset + chunkSize, message.count)
            hasher.update(message[offset..<end])
            offset = end
        }
        message[offset...].withUnsafeBytes { hasher.update(bytes: $0) }
        #expect(hasher.finalize() == SHA256.hash(message))
    }

    @Test func hasherResetsAfterFinalize() {
        let hasher = SHA256.Hasher()
        hasher.update("ignored".utf8)
        _ = hasher.finalize()
        hasher.update("abc".utf8)
        #expect(Hex.encode(hasher.finalize()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func hmacMatchesRFC4231TestCase2() {
        let tag = HMACSHA256.authenticate(message: "what do ya want for nothing?".utf8, key: "Jefe".utf8)
        #expect(Hex.encode(tag) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(HMACSHA256.isValid(tag, message: "what do ya want for nothing?".utf8, key: "Jefe".utf8))
        #expect(!HMACSHA256.isValid(tag, message: "what do ya want for nothing!".utf8, key: "Jefe".utf8))
    }

    @Test func hmacMatchesRFC4231TestCase1() {
        let key = [UInt8](repeating: 0x0b, count: 20)
        let tag = HMACSHA256.authenticate(message: "Hi There".utf8, key: key)
        #expect(Hex.encode(tag) == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    }

    @Test func hmacAcceptsEmptyKeyAndMessage() {
        let tag = HMACSHA256.authenticate(message: [UInt8](), key: [UInt8]())
        #expect(Hex.encode(tag) == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    @Test func constantTimeEqualsComparesContentsAndLength() {
        #expect(ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2, 3] as [UInt8]))
        #expect(!ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2, 4] as [UInt8]))
        #expect(!ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2] as [UInt8]))
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
        #expect(ConstantTime.equals("token".utf8, Array("token".utf8)))
    }
}
