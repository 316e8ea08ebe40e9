/// Base64url (RFC 4648 §5) without padding, the encoding for tokens in URLs, cookies and headers.
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Maps an ASCII byte to its 6-bit value, or 0xFF when it is not in the alphabet.
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in alphabet.enumerated() {
            table[Int(character)] = UInt8(value)
        }
        return table
    }()

    /// Encodes `bytes` as base64url without `=` padding.
    /// - Parameter bytes: the bytes to encode.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        bytes.withContiguousBytes { input in
            let outputCount = (input.count * 4 + 2) / 3
            return String(unsafeUninitializedCapacity: outputCount) { output in
                var written = 0
                var index = 0
                while index + 3 <= input.count {
                    let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
                    for shift in [18, 12, 6, 0] as [UInt32] {
                        output[written] = alphabet[Int((chunk >> shift) & 0x3F)]
                        written += 1
                    }
                    index += 3
                }
                let remaining = input.count - index
                if remaining > 0 {
                    var chunk = UInt32(input[index]) << 16
                    if remaining == 2 {
                        chunk |= UInt32(input[index + 1]) << 8
                    }
                    for shift in ([18, 12, 6] as [UInt32]).prefix(remaining + 1) {
                        output[written] = alphabet[Int((chunk >> shift) & 0x3F)]
                        written += 1
                    }
                }
                return written
            }
        }
    }

    /// Decodes base64url text without padding; returns `nil` when the text is not canonical base64url.
    ///
    /// Rejected: characters outside `A–Z a–z 0–9 - _`, `=` padding, whitespace, an impossible length
    /// (one character left over) and non-zero unused bits in the last character, so each byte string has exactly
    /// one accepted encoding.
    /// - Parameter text: the encoded text.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 4 != 1 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(characters.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bitCount = 0
        for character in characters {
            let value = decodeTable[Int(character)]
            guard value != 0xFF else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bitCount += 6
            if bitCount >= 8 {
                bitCount -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bitCount)))
                accumulator &= (1 << UInt32(bitCount)) - 1
            }
        }
        guard accumulator == 0 else { return nil }
        return output
    }
}
