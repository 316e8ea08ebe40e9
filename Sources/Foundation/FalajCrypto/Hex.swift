/// Lowercase hexadecimal encoding, as used for digests in logs, checksums and the audit chain.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Encodes `bytes` as lowercase hex, two characters per byte.
    /// - Parameter bytes: the bytes to encode.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        bytes.withContiguousBytes { input in
            String(unsafeUninitializedCapacity: input.count * 2) { output in
                for (index, byte) in input.enumerated() {
                    output[index * 2] = digits[Int(byte >> 4)]
                    output[index * 2 + 1] = digits[Int(byte & 0x0F)]
                }
                return input.count * 2
            }
        }
    }

    /// Decodes hex text (upper- or lowercase); returns `nil` for an odd length or a non-hex character.
    /// - Parameter text: the encoded text, without a `0x` prefix or separators.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 2 == 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(characters.count / 2)
        var index = 0
        while index < characters.count {
            guard let high = nibble(characters[index]), let low = nibble(characters[index + 1]) else { return nil }
            output.append(high << 4 | low)
            index += 2
        }
        return output
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
