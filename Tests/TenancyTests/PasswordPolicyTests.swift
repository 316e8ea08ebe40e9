import Tenancy
import Testing

@Suite struct PasswordPolicyTests {
    let policy = PasswordPolicy(commonPasswords: ["password123", "Qwertyuiop", "  ", "", "correcthorse"])

    private func failure(_ password: String, email: EmailAddress? = nil, policy: PasswordPolicy? = nil) -> String? {
        do {
            try (policy ?? self.policy).check(password, email: email)
            return nil
        } catch {
            #expect(error.field == "password")
            #expect(!error.message.contains(password) || password.isEmpty)
            return error.message
        }
    }

    @Test func acceptsLongUncommonPasswords() {
        #expect(failure("tide-lantern-47-orbit") == nil)
        #expect(failure("exactly10!") == nil)
        #expect(failure(String(repeating: "x", count: 256)) == nil)
    }

    @Test func requiresAtLeastTenCharactersCountedAsTheUserSeesThem() {
        #expect(failure("nine-char") == "Use at least 10 characters for your password.")
        #expect(failure("") == "Use at least 10 characters for your password.")
        // Nine emoji are 9 characters however many bytes and scalars they take.
        let family = "👩‍👩‍👧‍👦"
        #expect(failure(String(repeating: family, count: 9)) == "Use at least 10 characters for your password.")
        #expect(failure(String(repeating: family, count: 10)) == nil)
        // "é" written as e + combining accent is one character.
        #expect(failure(String(repeating: "e\u{0301}", count: 9)) == "Use at least 10 characters for your password.")
        #expect(failure("كلمةالسرّ٢٠٢٤") == nil)
    }

    @Test func refusesMoreThan256Characters() {
        #expect(failure(String(repeating: "x", count: 257)) == "Use at most 256 characters for your password.")
        #expect(failure(String(repeating: "👩‍👩‍👧‍👦", count: 200)) == "Use at most 256 characters for your password.")
        #expect(failure(String(repeating: "a", count: 1_000_000)) == "Use at most 256 characters for your password.")
    }

    @Test func refusesCommonPasswordsIgnoringCase() {
        let message = "That password is on a list of commonly used passwords. Choose one that is harder to guess."
        #expect(failure("password123") == message)
        #expect(failure("PassWord123") == message)
        #expect(failure("qwertyuiop") == message)
        #expect(failure("password1234") == nil)
        #expect(policy.commonPasswordCount == 3)
    }

    @Test func refusesTheEmailAddressOrItsLocalPart() throws {
        let email = try EmailAddress("Amira.Haddad@Example.com")
        let message = "Don't use your e-mail address, or the part before the @, as your password."
        #expect(failure("amira.haddad@example.com", email: email) == message)
        #expect(failure("AMIRA.HADDAD@EXAMPLE.COM", email: email) == message)
        #expect(failure("Amira.Haddad", email: email) == message)
        #expect(failure("amira.haddad!", email: email) == nil)
        #expect(failure("amira.haddad@example.com", email: nil) == nil)
    }

    @Test func refusesControlCharacters() {
        let message = "Your password can't contain control characters such as line breaks or tabs."
        #expect(failure("correct\u{0}horse battery") == message)
        #expect(failure("correct horse\nbattery") == message)
        #expect(failure("\tcorrect horse battery") == message)
    }

    @Test func treatsSQLMetaCharactersAsOrdinaryText() {
        #expect(failure("'; DROP TABLE users--") == nil)
        #expect(failure("\" OR 1=1 --") == nil)
    }

    @Test func loadsTheBundledZxcvbnList() async throws {
        let bundled = try await PasswordPolicy.load()
        #expect(bundled.commonPasswordCount == 10_000)
        let message = "That password is on a list of commonly used passwords. Choose one that is harder to guess."
        for common in ["1234567890", "qwertyuiop", "password123", "Password123", "1q2w3e4r5t", "manchester", "terminator"] {
            #expect(failure(common, policy: bundled) == message, "\(common)")
        }
        #expect(failure("tide-lantern-47-orbit", policy: bundled) == nil)
    }
}
