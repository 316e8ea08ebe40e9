/// Base32 (RFC 4648 §6) with the upper-case alphabet `A–Z 2–7`, the encoding of TOTP secrets in `otpauth://` URIs
/// and in the "enter this key by hand" text shown beside a QR code.
public enum Base32 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// Maps an ASCII byte to its 5-bit value (upper- and lower-case letters alike), or 0xFF when it is not in the
    /// alphabet.
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in alphabet.enumerated() {
            table[Int(character)] = UInt8(value)
            if character >= UInt8(ascii: "A") && character <= UInt8(ascii: "Z") {
                table[Int(character | 0x20)] = UInt8(value)
            }
        }
        return table
    }()

    /// Encodes `bytes` as upper-case base32 without `=` padding (32 characters for a 20-byte TOTP secret).
    /// - Parameter bytes: the bytes to encode.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        bytes.withContiguousBytes { input in
            let outputCount = (input.count * 8 + 4) / 5
            return String(unsafeUninitializedCapacity: outputCount) { output in
                var written = 0
                var accumulator: UInt32 = 0
                var bitCount = 0
                for byte in input {
                    accumulator = accumulator << 8 | UInt32(byte)
                    bitCount += 8
                    while bitCount >= 5 {
                        bitCount -= 5
                        output[written] = alphabet[Int((accumulator >> UInt32(bitCount)) & 0x1F)]
                        written += 1
                    }
                    accumulator &= (1 << UInt32(bitCount)) - 1
                }
                if bitCount > 0 {
                    output[written] = alphabet[Int((accumulator << UInt32(5 - bitCount)) & 0x1F)]
                    written += 1
                }
                return written
            }
        }
    }

    /// Decodes base32 text as people copy and type it.
    ///
    /// Accepted: upper- or lower-case letters, spaces, tabs and line breaks anywhere (they are ignored), and any
    /// number of trailing `=` padding characters. Unused low bits in the last character are ignored, because some
    /// authenticator set-up pages print secrets of any character count. Rejected: any other character (including `0`,
    /// `1`, `8` and `9`, which base32 leaves out), `=` followed by data, and a count of data characters that no byte
    /// string encodes to (1, 3 or 6 more than a multiple of 8).
    /// - Parameter text: the encoded text.
    /// - Throws: ``CryptoError`` with code ``CryptoError/Code/malformedEncoding``.
    public static func decode(_ text: some StringProtocol) throws(CryptoError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count * 5 / 8)
        var accumulator: UInt32 = 0
        var bitCount = 0
        var dataCount = 0
        var isInPadding = false
        for character in text.utf8 {
            switch character {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                continue
            case UInt8(ascii: "="):
                isInPadding = true
                continue
            default:
                break
            }
            let value = decodeTable[Int(character)]
            guard value != 0xFF else {
                throw CryptoError(.malformedEncoding, detail: "base32 text holds a character outside A–Z and 2–7")
            }
            guard !isInPadding else {
                throw CryptoError(.malformedEncoding, detail: "base32 text continues after '=' padding")
            }
            dataCount += 1
            accumulator = accumulator << 5 | UInt32(value)
            bitCount += 5
            if bitCount >= 8 {
                bitCount -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bitCount)))
                accumulator &= (1 << UInt32(bitCount)) - 1
            }
        }
        guard ![1, 3, 6].contains(dataCount % 8) else {
            throw CryptoError(.malformedEncoding, detail: "base32 text has \(dataCount) characters, a length no byte string encodes to")
        }
        return output
    }
}
