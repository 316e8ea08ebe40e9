import BlockingPool
import Foundation

/// The rules a new password must meet, in the spirit of NIST SP 800-63B: a minimum length, no composition rules,
/// and a check against passwords attackers try first.
///
/// - At least ``minimumLength`` (10) and at most ``maximumLength`` (256) characters, counted as the user sees them
///   (grapheme clusters, so an emoji or a letter with an accent counts once). Anything over 4096 UTF-8 bytes is also
///   refused as too long, before the characters are counted.
/// - No control characters (NUL, line breaks, tabs): they only get there by accident or from a broken client.
/// - Not the user's e-mail address or the part before its `@`, ignoring case.
/// - Not on the common-password list, ignoring case.
///
/// Build it once at start-up with ``load()`` and share it; checking is fast and does not block.
public struct PasswordPolicy: Sendable {
    /// The fewest characters a password may have (10).
    public static let minimumLength = 10
    /// The most characters a password may have (256).
    public static let maximumLength = 256
    /// The most UTF-8 bytes a password may have (4096), checked before counting characters.
    public static let maximumByteCount = 4096

    static let field = "password"

    /// The refused passwords, lower-cased.
    private let commonPasswords: Set<String>

    /// Creates a policy that refuses the given passwords; tests use this, the app uses ``load()``.
    /// - Parameter commonPasswords: passwords to refuse; compared ignoring case, blank entries are skipped.
    public init(commonPasswords: some Sequence<String>) {
        self.commonPasswords = Set(commonPasswords.map { $0.trimmingWhitespace.lowercased() }.filter { !$0.isEmpty })
    }

    /// How many distinct passwords the policy refuses as common.
    public var commonPasswordCount: Int { commonPasswords.count }

    /// Reads the module's `Resources/common-passwords.txt` (the 10,000 most common passwords from zxcvbn, one per
    /// line) and returns a policy that refuses them.
    ///
    /// The file is read on ``BlockingPool/shared``, never on the cooperative pool; the calling task suspends.
    /// Call it once at start-up and keep the result.
    /// - Throws: an error naming the file when it is missing from the build or cannot be read as UTF-8.
    public static func load() async throws -> PasswordPolicy {
        try await BlockingPool.shared.run { () throws -> PasswordPolicy in
            guard let url = Bundle.module.url(forResource: "common-passwords", withExtension: "txt", subdirectory: "Resources") else {
                throw PasswordListMissing()
            }
            let text = try String(contentsOf: url, encoding: .utf8)
            return PasswordPolicy(commonPasswords: text.split(whereSeparator: \.isNewline).map(String.init))
        }
    }

    /// Checks a new password, throwing the first rule it breaks.
    /// - Parameters:
    ///   - password: the password exactly as typed (it is not trimmed).
    ///   - email: the account's e-mail address, if known, so that it cannot be used as the password.
    /// - Throws: ``FieldError`` for the field `password`; the message never repeats the password.
    public func check(_ password: String, email: EmailAddress?) throws(FieldError) {
        if password.unicodeScalars.contains(where: \.isControl) {
            throw FieldError(field: Self.field, message: "Your password can't contain control characters such as line breaks or tabs.")
        }
        let length = password.utf8.count <= Self.maximumByteCount ? password.count : Int.max
        guard length <= Self.maximumLength else {
            throw FieldError(field: Self.field, message: "Use at most \(Self.maximumLength) characters for your password.")
        }
        guard length >= Self.minimumLength else {
            throw FieldError(field: Self.field, message: "Use at least \(Self.minimumLength) characters for your password.")
        }
        let folded = password.lowercased()
        if let email, folded == email.normalized || folded == email.localPart {
            throw FieldError(field: Self.field, message: "Don't use your e-mail address, or the part before the @, as your password.")
        }
        if commonPasswords.contains(folded) {
            throw FieldError(
                field: Self.field,
                message: "That password is on a list of commonly used passwords. Choose one that is harder to guess."
            )
        }
    }
}

/// The common-password list is missing from the module's resources (a packaging mistake).
struct PasswordListMissing: Error, CustomStringConvertible {
    var description: String { "Tenancy's Resources/common-passwords.txt is missing from the build" }
}
