import Foundation

extension String {
    /// The string without leading and trailing Unicode whitespace (spaces, tabs, line breaks, no-break spaces),
    /// trimmed by scalar so that a combining mark after a leading space is kept and then judged on its own.
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }

    /// The string in Unicode Normalization Form C, so that "é" typed as `e` + U+0301 and as U+00E9 compare and store
    /// the same.
    var nfc: String {
        precomposedStringWithCanonicalMapping
    }
}

extension Unicode.Scalar {
    /// Whether this is a control character (general category Cc, for example NUL, tab, line feed, DEL).
    var isControl: Bool {
        properties.generalCategory == .control
    }

    /// Whether this is a combining mark (Mn, Mc or Me), such as an accent or an Arabic vowel sign.
    var isMark: Bool {
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: true
        default: false
        }
    }

    /// Whether this is one of the explicit bidirectional embedding, override or isolate controls
    /// (U+202A–U+202E, U+2066–U+2069), which can make text display in a different order from the one it is stored in.
    var isBidiControl: Bool {
        (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value)
    }
}
