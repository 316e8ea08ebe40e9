/// Names people give themselves and their organisations, shown back to other people: any script, emoji included,
/// but nothing that hides, reorders or floods the text around it.
public enum DisplayName {
    /// The most combining marks one character may carry (8). Arabic with shadda and a vowel sign uses 2 and
    /// Vietnamese 2; stacks deeper than this are "zalgo" text that spills over the lines above and below.
    public static let maximumMarksPerCharacter = 8

    /// Checks a name and returns it cleaned up: surrounding whitespace trimmed and the text NFC-normalised.
    ///
    /// Refused: an empty name, more than `maximum` characters (grapheme clusters, as the user counts them), control
    /// characters (NUL, line breaks, tabs), the bidirectional override and isolate controls U+202A–U+202E and
    /// U+2066–U+2069 (which can make "exe.txt" display as "txt.exe"), and characters with more than
    /// ``maximumMarksPerCharacter`` combining marks. Arabic, Hebrew, the left-to-right and right-to-left marks
    /// (U+200E, U+200F), zero-width joiners in emoji and Persian zero-width non-joiners are kept. Text such as
    /// `'; DROP TABLE--` is only text: it is returned unchanged, to be bound as a query parameter and escaped in HTML.
    /// - Parameters:
    ///   - raw: the form value.
    ///   - field: the form field's name, reported in the ``FieldError``.
    ///   - maximum: the most characters allowed; defaults to 100. Must be at least 1.
    /// - Returns: the trimmed, NFC-normalised name.
    /// - Throws: ``FieldError`` for `field`, with a message for the user.
    public static func validate(_ raw: String, field: String, maximum: Int = 100) throws(FieldError) -> String {
        precondition(maximum >= 1, "a display name must be allowed at least one character")
        let name = raw.trimmingWhitespace.nfc
        guard !name.isEmpty else {
            throw FieldError(field: field, message: "Enter a name.")
        }
        if name.unicodeScalars.contains(where: \.isControl) {
            throw FieldError(field: field, message: "Remove the line breaks, tabs and other control characters from the name.")
        }
        if name.unicodeScalars.contains(where: \.isBidiControl) {
            throw FieldError(field: field, message: "Remove the invisible text-direction characters from the name.")
        }
        // Counting grapheme clusters walks the whole string, so refuse absurd input by its byte count first;
        // no real character of the allowed kind takes more than 64 UTF-8 bytes.
        guard name.utf8.count <= maximum * 64, name.count <= maximum else {
            throw FieldError(field: field, message: "Use at most \(maximum) characters for the name.")
        }
        for character in name where character.unicodeScalars.count(where: \.isMark) > maximumMarksPerCharacter {
            throw FieldError(field: field, message: "Remove the stacked accent marks from the name.")
        }
        return name
    }
}
