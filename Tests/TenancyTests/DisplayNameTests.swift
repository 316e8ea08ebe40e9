import Tenancy
import Testing

@Suite struct DisplayNameTests {
    private func failure(_ raw: String, maximum: Int = 100) -> FieldError? {
        do {
            _ = try DisplayName.validate(raw, field: "organisation_name", maximum: maximum)
            return nil
        } catch {
            return error
        }
    }

    @Test func trimsSurroundingWhitespace() throws {
        #expect(try DisplayName.validate("  Acme Labs \n", field: "name") == "Acme Labs")
        #expect(try DisplayName.validate("\u{00A0}\u{3000}Acme\u{2003}", field: "name") == "Acme")
        #expect(try DisplayName.validate("Acme   Labs", field: "name") == "Acme   Labs")
    }

    @Test func normalizesToNFC() throws {
        let name = try DisplayName.validate("Jose\u{0301} Nun\u{0303}ez", field: "name")
        #expect(Array(name.unicodeScalars) == Array("Jos\u{00E9} Nu\u{00F1}ez".unicodeScalars))
        #expect(Array(try DisplayName.validate("A\u{030A}", field: "name").unicodeScalars) == ["\u{00C5}"])
        // Swift's == already ignores the difference; the stored bytes must not.
        #expect("Jose\u{0301}" == "Jos\u{00E9}")
    }

    @Test(arguments: [
        "شركة فلج للبيانات", "מעבדת נתונים", "Falaj فلج Labs", "👩‍👩‍👧‍👦 Family Team", "🏳️‍🌈", "🇴🇲 Oman Data",
        "مُحَمَّد", "می‌خواهم", "Tiếng Việt", "\u{200F}فلج\u{200E} Labs", "'; DROP TABLE orgs--", "Robert'); DROP TABLE Students;--",
        "<script>alert(1)</script>", "%00 ${jndi:ldap://x}",
    ])
    func acceptsAnyScriptEmojiAndPunctuationAsText(raw: String) throws {
        #expect(try DisplayName.validate(raw, field: "name") == raw)
    }

    @Test func asksForANameWhenEmpty() {
        #expect(failure("") == FieldError(field: "organisation_name", message: "Enter a name."))
        #expect(failure(" \n\t ") == FieldError(field: "organisation_name", message: "Enter a name."))
    }

    @Test(arguments: ["Acme\u{0}Labs", "\u{0}", "Acme\nLabs", "Acme\tLabs", "Acme\u{7F}", "Acme\u{1B}[31m", "Acme\u{85}Labs"])
    func rejectsControlCharacters(raw: String) {
        #expect(failure(raw) == FieldError(
            field: "organisation_name",
            message: "Remove the line breaks, tabs and other control characters from the name."
        ))
    }

    @Test(arguments: [0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069] as [UInt32])
    func rejectsBidiOverridesAndIsolates(value: UInt32) {
        let raw = "invoice\(Character(Unicode.Scalar(value)!))fdp.exe"
        #expect(failure(raw) == FieldError(
            field: "organisation_name",
            message: "Remove the invisible text-direction characters from the name."
        ))
    }

    @Test func countsCharactersAsTheUserSeesThem() throws {
        let family = "👩‍👩‍👧‍👦"
        #expect(try DisplayName.validate(String(repeating: family, count: 100), field: "name") == String(repeating: family, count: 100))
        #expect(failure(String(repeating: family, count: 101))?.message == "Use at most 100 characters for the name.")
        #expect(try DisplayName.validate(String(repeating: "e\u{0301}", count: 5), field: "name", maximum: 5).count == 5)
        #expect(failure(String(repeating: "e\u{0301}", count: 6), maximum: 5)?.message == "Use at most 5 characters for the name.")
        #expect(failure(String(repeating: "x", count: 1_000_000))?.message == "Use at most 100 characters for the name.")
        #expect(try DisplayName.validate("A", field: "name", maximum: 1) == "A")
    }

    @Test func rejectsStackedCombiningMarks() throws {
        let eight = "a" + String(repeating: "\u{0301}", count: 8)
        #expect(try DisplayName.validate(eight, field: "name").count == 1)
        #expect(failure("Zalgo a" + String(repeating: "\u{0301}\u{0316}", count: 10))?.message == "Remove the stacked accent marks from the name.")
    }

    @Test func keepsALeadingCombiningMarkAsText() throws {
        #expect(try DisplayName.validate("\u{0301}Acme", field: "name") == "\u{0301}Acme")
        #expect(try DisplayName.validate(" \u{0301}Acme", field: "name") == "\u{0301}Acme")
    }
}
