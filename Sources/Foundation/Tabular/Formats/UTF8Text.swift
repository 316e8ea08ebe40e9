/// UTF-8 validation for the readers.
enum UTF8Text {
    /// The bytes as a String, or `nil` when they are not valid UTF-8.
    ///
    /// `String(validating:as:)` is generic and goes through runtime metadata on every call, several times slower here;
    /// decoding with repair and checking that nothing was repaired gives the same answer (valid input decodes to the
    /// same bytes; any invalid sequence is replaced by U+FFFD, which changes them).
    static func validatedString(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        if text.utf8.count == bytes.count && bytes.allSatisfy({ $0 < 0x80 }) { return text }
        return text.utf8.elementsEqual(bytes) ? text : nil
    }
}
