import FalajCrypto
import Testing

@Suite struct EncodingTests {
    @Test(arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
    ])
    func base64URLMatchesRFC4648Vectors(plain: String, encoded: String) {
        #expect(Base64URL.encode(plain.utf8) == encoded)
        #expect(Base64URL.decode(encoded) == Array(plain.utf8))
    }

    @Test func base64URLUsesTheURLSafeAlphabet() {
        #expect(Base64URL.encode([0xfb, 0xff, 0xbf]) == "-_-_")
        #expect(Base64URL.decode("-_-_") == [0xfb, 0xff, 0xbf])
    }

    @Test(arguments: ["Zg==", "Z", "Zm9v+", "Zm/v", "Zm 9v", "Zh", "Zm9"])
    func base64URLRejectsNonCanonicalText(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    @Test func base64URLRoundTripsEveryLength() {
        for count in 0..<70 {
            let bytes = SecureRandom.bytes(count: count)
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
    }

    @Test func hexRoundTripsAndAcceptsUppercase() {
        #expect(Hex.encode([0x00, 0x7f, 0xab, 0xff]) == "007fabff")
        #expect(Hex.decode("007FabFF") == [0x00, 0x7f, 0xab, 0xff])
        #expect(Hex.decode("") == [])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }

    @Test func randomTokensDifferAndHaveTheExpectedLength() {
        let first = SecureRandom.token()
        let second = SecureRandom.token()
        #expect(first != second)
        #expect(first.utf8.count == 43)
        #expect(Base64URL.decode(first)?.count == 32)
        #expect(SecureRandom.token(byteCount: 16).utf8.count == 22)
        #expect(SecureRandom.bytes(count: 0).isEmpty)
        #expect(SecureRandom.bytes(count: 1000).count == 1000)
        #expect(SecureRandom.bytes(count: 32) != SecureRandom.bytes(count: 32))
    }
}
