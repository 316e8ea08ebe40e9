/// An e-mail address that passed a practical check, in a normalised form fit for a unique index.
///
/// Accepted: `local@domain` with exactly one `@`, where
/// - the local part is 1–64 UTF-8 bytes of letters (any script), digits, combining marks after a letter, and
///   ``EmailAddress/localPunctuation``, with dots only between other characters (not first, last or doubled);
/// - the domain is 1–253 bytes of ASCII labels joined by dots, at least two labels, each 1–63 letters, digits or
///   hyphens, not starting or ending with a hyphen, and a last label that is not all digits;
/// - the whole address is at most 254 UTF-8 bytes (RFC 5321's limit).
///
/// Rejected on purpose although RFC 5322 allows them: quoted local parts (`"a b"@example.com`), comments, IP
/// literals (`a@[192.0.2.1]`), spaces, control and invisible formatting characters, and non-ASCII domains, which
/// must be written in their punycode (`xn--…`) form. The apostrophe is allowed (`o'brien@example.com`); values are
/// always bound as query parameters, never spliced into SQL.
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address trimmed, lower-cased and NFC-normalised, for example `amira@example.com`; equal addresses have
    /// equal normalised forms.
    public let normalized: String
    /// The normalised part before the `@`.
    public let localPart: String
    /// The normalised (lower-case ASCII) part after the `@`, for example `example.com`.
    public let domain: String

    /// ASCII characters other than letters and digits allowed in the local part: RFC 5322 `atext` without the
    /// backtick, plus the dot.
    public static let localPunctuation: Set<Character> = [
        "!", "#", "$", "%", "&", "'", "*", "+", "-", "/", "=", "?", "^", "_", "{", "|", "}", "~", ".",
    ]

    static let field = "email"
    static let example = "Enter an e-mail address like name@example.com."

    /// Checks and normalises an address as typed.
    /// - Parameter raw: the form value; surrounding whitespace is ignored.
    /// - Throws: ``FieldError`` for the field `email`, with a message for the user.
    public init(_ raw: String) throws(FieldError) {
        let trimmed = raw.trimmingWhitespace
        guard !trimmed.isEmpty else {
            throw FieldError(field: Self.field, message: "Enter your e-mail address.")
        }
        let scalars = Array(trimmed.unicodeScalars)
        if scalars.contains(where: { $0.properties.isWhitespace || $0.isControl || $0.properties.generalCategory == .format }) {
            throw FieldError(field: Self.field, message: "An e-mail address can't contain spaces or invisible characters. " + Self.example)
        }
        let atSigns = scalars.indices.filter { scalars[$0] == "@" }
        guard atSigns.count == 1, let at = atSigns.first else {
            throw FieldError(field: Self.field, message: Self.example)
        }
        let local = String(String.UnicodeScalarView(scalars[..<at])).lowercased().nfc
        let domain = String(String.UnicodeScalarView(scalars[(at + 1)...])).lowercased()
        guard local.utf8.count + 1 + domain.utf8.count <= 254 else {
            throw FieldError(field: Self.field, message: "That e-mail address is too long; it can have at most 254 characters.")
        }
        guard local.utf8.count <= 64 else {
            throw FieldError(field: Self.field, message: "The part before the @ is too long; it can have at most 64 characters.")
        }
        guard Self.isValidLocalPart(local) else {
            throw FieldError(field: Self.field, message: Self.example)
        }
        guard domain.unicodeScalars.allSatisfy(\.isASCII) else {
            throw FieldError(
                field: Self.field,
                message: "Write the part after the @ in its ASCII form (punycode, starting with xn--), for example name@xn--mgbh0fb.example."
            )
        }
        guard domain.utf8.count <= 253, Self.isValidDomain(domain) else {
            throw FieldError(field: Self.field, message: Self.example)
        }
        self.localPart = local
        self.domain = domain
        self.normalized = local + "@" + domain
    }

    /// The normalised address.
    public var description: String { normalized }

    private static func isValidLocalPart(_ local: String) -> Bool {
        let scalars = Array(local.unicodeScalars)
        guard let first = scalars.first, let last = scalars.last, first != ".", last != ".", !first.isMark else {
            return false
        }
        var previous: Unicode.Scalar?
        for scalar in scalars {
            defer { previous = scalar }
            if scalar == "." && previous == "." { return false }
            if scalar.isASCII {
                let isAllowed = (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)) || localPunctuation.contains(Character(scalar))
                guard isAllowed else { return false }
            } else {
                switch scalar.properties.generalCategory {
                case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                    .decimalNumber, .otherNumber, .letterNumber:
                    continue
                case .nonspacingMark, .spacingMark, .enclosingMark:
                    guard let previous, !previous.isASCII || previous.properties.isAlphabetic else { return false }
                default:
                    return false
                }
            }
        }
        return true
    }

    private static func isValidDomain(_ domain: String) -> Bool {
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, let top = labels.last, !top.allSatisfy(\.isNumber) else { return false }
        return labels.allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                && label.utf8.allSatisfy { byte in
                    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                        || byte == UInt8(ascii: "-")
                }
        }
    }
}
