import Foundation

/// The short name of an organisation in URLs (`/o/acme-labs`): 3–40 lower-case ASCII letters, digits and single
/// hyphens, not starting or ending with a hyphen.
public enum Slug {
    /// The fewest characters a slug may have (3).
    public static let minimumLength = 3
    /// The most characters a slug may have (40).
    public static let maximumLength = 40

    static let field = "slug"

    /// Letters that do not decompose into an ASCII letter plus accents, spelled out as they usually are in Latin
    /// transliteration.
    private static let letterSpellings: [Unicode.Scalar: String] = [
        "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "ł": "l", "ı": "i", "ħ": "h",
        "ŧ": "t", "ŋ": "ng", "ĸ": "k",
    ]
    /// Characters dropped without leaving a hyphen, so that "O'Brien & Co" becomes `obrien-co`.
    private static let silentScalars: Set<Unicode.Scalar> = ["'", "\u{2019}", "\u{2018}", "`", "\u{02BC}"]
    private static let suffixAlphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")

    /// Suggests a slug for a display name: accents folded (`Café Ñandú` → `cafe-nandu`), everything other than ASCII
    /// letters and digits turned into single hyphens, cut to ``maximumLength``.
    ///
    /// Names that leave fewer than three usable characters get a random six-character suffix: `org-k3x9qz` for a
    /// name in Arabic script or made of emoji, `ai-k3x9qz` for "AI". The result always passes ``validate(_:)``,
    /// but may already be taken; the caller checks that.
    /// - Parameter displayName: the organisation's name as the user typed it.
    public static func make(from displayName: String) -> String {
        var generator = SystemRandomNumberGenerator()
        return make(from: displayName, using: &generator)
    }

    /// ``make(from:)`` with the random suffix drawn from `generator`, for reproducible tests.
    /// - Parameters:
    ///   - displayName: the organisation's name as the user typed it.
    ///   - generator: the source of the fallback suffix.
    public static func make(from displayName: String, using generator: inout some RandomNumberGenerator) -> String {
        var slug = ""
        var isPendingHyphen = false
        for scalar in displayName.lowercased().decomposedStringWithCompatibilityMapping.unicodeScalars {
            if scalar.isMark || silentScalars.contains(scalar) {
                continue
            }
            let spelling: String
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                spelling = String(scalar)
            } else if let mapped = letterSpellings[scalar] {
                spelling = mapped
            } else {
                isPendingHyphen = true
                continue
            }
            if isPendingHyphen && !slug.isEmpty {
                slug += "-"
            }
            isPendingHyphen = false
            slug += spelling
            if slug.count >= maximumLength {
                break
            }
        }
        slug = String(slug.prefix(maximumLength))
        while slug.hasSuffix("-") {
            slug.removeLast()
        }
        guard slug.count >= minimumLength else {
            let suffix = String((0..<6).map { _ in suffixAlphabet.randomElement(using: &generator)! })
            return (slug.isEmpty ? "org" : slug) + "-" + suffix
        }
        return slug
    }

    /// Checks a slug the user typed or edited.
    /// - Parameter slug: the candidate, compared exactly (an upper-case letter is an error, not folded).
    /// - Throws: ``FieldError`` for the field `slug`, with a message for the user.
    public static func validate(_ slug: String) throws(FieldError) {
        let rule = "Use \(minimumLength) to \(maximumLength) lower-case letters (a–z), digits and hyphens"
        guard slug.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) else {
            throw FieldError(field: field, message: rule + ", with no spaces, accents or other characters.")
        }
        guard (minimumLength...maximumLength).contains(slug.unicodeScalars.count) else {
            throw FieldError(field: field, message: rule + ".")
        }
        guard !slug.hasPrefix("-"), !slug.hasSuffix("-"), !slug.contains("--") else {
            throw FieldError(field: field, message: "Start and end with a letter or digit, and don't put two hyphens together.")
        }
    }
}
