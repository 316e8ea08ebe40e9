import FalajCrypto
import Testing

@Suite struct Base32Tests {
    /// RFC 4648 §10, with the padding removed for encoding.
    @Test(arguments: [
        ("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"), ("foob", "MZXW6YQ"), ("fooba", "MZXW6YTB"),
        ("foobar", "MZXW6YTBOI"),
    ])
    func encodesRFC4648VectorsWithoutPadding(plain: String, encoded: String) throws {
        #expect(Base32.encode(plain.utf8) == encoded)
        #expect(try Base32.decode(encoded) == Array(plain.utf8))
    }

    /// RFC 4648 §10 exactly as printed, padding included.
    @Test(arguments: [
        ("f", "MY======"), ("fo", "MZXQ===="), ("foo", "MZXW6==="), ("foob", "MZXW6YQ="), ("fooba", "MZXW6YTB"),
        ("foobar", "MZXW6YTBOI======"),
    ])
    func decodesPaddedRFC4648Vectors(plain: String, encoded: String) throws {
        #expect(try Base32.decode(encoded) == Array(plain.utf8))
    }

    @Test func decodingToleratesLowerCaseAndSpacesAsPeopleTypeThem() throws {
        let expected = Array("Hello!\u{de}\u{ad}\u{be}\u{ef}".utf8)
        let encoded = Base32.encode(expected)
        #expect(try Base32.decode(encoded.lowercased()) == expected)
        let grouped = stride(from: 0, to: encoded.count, by: 4).map { start in
            String(encoded.dropFirst(start).prefix(4))
        }.joined(separator: " ")
        #expect(try Base32.decode(" " + grouped.lowercased() + "\n") == expected)
        #expect(try Base32.decode("mzxw 6ytb oi== ====") == Array("foobar".utf8))
    }

    @Test(arguments: ["MZXW1", "MZXW8", "MZ0Q", "MZ-XQ", "MZXQ+", "MZ=XQ", "M", "MZX", "MZXW6Y", "MZXW6YTBO", "é"])
    func decodingRejectsMalformedText(text: String) {
        #expect(throws: CryptoError.self) { try Base32.decode(text) }
        do {
            _ = try Base32.decode(text)
        } catch {
            #expect(error.code == .malformedEncoding)
            #expect(error.description == "CryptoError(malformedEncoding)")
        }
    }

    @Test func roundTripsEveryLength() throws {
        for count in 0..<70 {
            let bytes = SecureRandom.bytes(count: count)
            let encoded = Base32.encode(bytes)
            #expect(encoded.utf8.count == (count * 8 + 4) / 5)
            #expect(encoded.allSatisfy { "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".contains($0) })
            #expect(try Base32.decode(encoded) == bytes)
        }
    }

    @Test func encodesATwentyByteSecretAsThirtyTwoCharacters() {
        #expect(Base32.encode(Array("12345678901234567890".utf8)) == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
    }
}
