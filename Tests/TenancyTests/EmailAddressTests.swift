import Tenancy
import Testing

@Suite struct EmailAddressTests {
    static let example = "Enter an e-mail address like name@example.com."

    private func failure(_ raw: String) -> FieldError? {
        do {
            _ = try EmailAddress(raw)
            return nil
        } catch {
            return error
        }
    }

    @Test func trimsAndLowerCasesIntoTheNormalizedForm() throws {
        let address = try EmailAddress("  Amira.Haddad+Falaj@Example.COM \n")
        #expect(address.normalized == "amira.haddad+falaj@example.com")
        #expect(address.localPart == "amira.haddad+falaj")
        #expect(address.domain == "example.com")
        #expect(address.description == address.normalized)
        #expect(try EmailAddress("AMIRA@EXAMPLE.COM") == EmailAddress("amira@example.com"))
    }

    @Test(arguments: [
        "a@b.co", "o'brien@example.ie", "first.last@sub.example.co.uk", "user_name-1@my-host.example",
        "x@xn--mgbh0fb.xn--kgbechtv", "{}|~!#$%&*/=?^@example.com", "1234567890@123.example.org",
    ])
    func acceptsPracticalAddresses(raw: String) throws {
        #expect(try EmailAddress(raw).normalized == raw.lowercased())
    }

    @Test func acceptsNonASCIILettersBeforeTheAtSign() throws {
        #expect(try EmailAddress("أميرة@example.com").localPart == "أميرة")
        #expect(try EmailAddress("JÖRG@example.de").localPart == "jörg")
        #expect(try EmailAddress("用户@example.cn").domain == "example.cn")
    }

    @Test func normalizesCombiningMarksToComposedForm() throws {
        let decomposed = try EmailAddress("jo\u{0065}\u{0301}l@example.fr")
        let composed = try EmailAddress("jo\u{00E9}l@example.fr")
        #expect(decomposed.normalized.unicodeScalars.elementsEqual(composed.normalized.unicodeScalars))
        #expect(decomposed == composed)
    }

    @Test func asksForAnAddressWhenEmpty() {
        #expect(failure("") == FieldError(field: "email", message: "Enter your e-mail address."))
        #expect(failure(" \t\n ") == FieldError(field: "email", message: "Enter your e-mail address."))
    }

    @Test(arguments: [
        "plainaddress", "@example.com", "amira@", "amira@@example.com", "a@b@example.com", "amira@localhost",
        ".amira@example.com", "amira.@example.com", "am..ira@example.com", "amira@-example.com", "amira@example-.com",
        "amira@exa_mple.com", "amira@example..com", "amira@.example.com", "amira@example.com.", "amira@192.168.0.1",
        "amira@[192.168.0.1]", "\"amira\"@example.com", "am\"ira@example.com", "am`ira@example.com", "amira(x)@example.com",
        "am<ira>@example.com", "amira;@example.com", "a,b@example.com", "amira@example.c*m", "😀@example.com",
        "\u{0301}amira@example.com", "+\u{0301}@example.com",
    ])
    func rejectsMalformedAddressesWithTheExample(raw: String) {
        #expect(failure(raw) == FieldError(field: "email", message: Self.example))
    }

    @Test(arguments: [
        "amira haddad@example.com", "amira@exam ple.com", "amira\u{0}@example.com", "amira@example.com\u{0}",
        "ami\u{200B}ra@example.com", "amira\u{202E}@example.com", "ami\u{00A0}ra@example.com", "amira\r\n@example.com",
    ])
    func rejectsSpacesControlAndInvisibleCharacters(raw: String) {
        #expect(failure(raw)?.message == "An e-mail address can't contain spaces or invisible characters. " + Self.example)
    }

    @Test func treatsSQLMetaCharactersAsAnInvalidAddressNotAsCode() {
        #expect(failure("'; DROP TABLE users--")?.field == "email")
        #expect(failure("'; DROP TABLE users--")?.message.hasPrefix("An e-mail address can't contain spaces") == true)
        #expect(failure("';DROP@example.com") == FieldError(field: "email", message: Self.example))
        #expect(failure("x@example.com';--") == FieldError(field: "email", message: Self.example))
    }

    @Test func asksForPunycodeWhenTheDomainIsNotASCII() {
        let error = failure("amira@مثال.إختبار")
        #expect(error?.field == "email")
        #expect(error?.message.contains("punycode") == true)
        #expect(failure("amira@bücher.de")?.message.contains("xn--") == true)
    }

    @Test func enforcesTheLengthLimits() throws {
        let local64 = String(repeating: "a", count: 64)
        #expect(try EmailAddress(local64 + "@example.com").localPart.count == 64)
        #expect(failure(local64 + "a@example.com")?.message.contains("at most 64 characters") == true)
        // 64 two-byte letters are 128 bytes, over the 64-byte limit.
        #expect(failure(String(repeating: "é", count: 33) + "@example.com")?.message.contains("at most 64") == true)

        let label63 = String(repeating: "b", count: 63)
        let longest = local64 + "@" + [label63, label63, String(repeating: "c", count: 61)].joined(separator: ".")
        #expect(longest.utf8.count == 254)
        #expect(try EmailAddress(longest).normalized == longest)
        #expect(failure(local64 + "@" + [label63, label63, String(repeating: "c", count: 62)].joined(separator: "."))?.message
            == "That e-mail address is too long; it can have at most 254 characters.")
        #expect(failure("a@" + String(repeating: "b", count: 64) + ".com") == FieldError(field: "email", message: Self.example))
        #expect(failure(String(repeating: "a", count: 10_000) + "@example.com") != nil)
    }
}
