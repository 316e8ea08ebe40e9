import Tenancy
import Testing

@Suite struct SlugTests {
    /// A generator with a fixed sequence, so the fallback suffix is predictable.
    struct FixedGenerator: RandomNumberGenerator {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D

        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
    }

    private func failure(_ slug: String) -> FieldError? {
        do {
            try Slug.validate(slug)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        ("Acme Labs", "acme-labs"), ("  Acme   Labs!!  ", "acme-labs"), ("Café Ñandú", "cafe-nandu"),
        ("Straße & Söhne", "strasse-sohne"), ("O'Brien & Co.", "obrien-co"), ("Ærø Øst", "aero-ost"),
        ("Łódź Data", "lodz-data"), ("ＦＵＬＬ　ｗｉｄｔｈ", "full-width"), ("ﬁnance ①", "finance-1"),
        ("Vi\u{0065}\u{0323}\u{0302}t Nam AI", "viet-nam-ai"), ("İstanbul Bilişim", "istanbul-bilisim"),
        ("--Hello--World--", "hello-world"), ("Data_Science/ML", "data-science-ml"), ("2024 Cohort", "2024-cohort"),
        ("Falaj فلج Labs", "falaj-labs"), ("'; DROP TABLE orgs--", "drop-table-orgs"),
    ])
    func foldsNamesIntoSlugs(name: String, expected: String) throws {
        #expect(Slug.make(from: name) == expected)
        try Slug.validate(Slug.make(from: name))
    }

    @Test func cutsLongNamesToFortyCharactersWithoutATrailingHyphen() throws {
        let slug = Slug.make(from: "The International Association of Applied Machine Learning Practitioners")
        #expect(slug == "the-international-association-of-applied")
        #expect(slug.count == 40)
        // The 40th character would be a hyphen, so the slug stops one short.
        let trimmed = Slug.make(from: String(repeating: "a", count: 39) + " bcd")
        #expect(trimmed == String(repeating: "a", count: 39))
        try Slug.validate(trimmed)
    }

    @Test(arguments: ["شركة فلج", "فلج", "😀🚀", "", "   ", "!!!", "中文公司", "\u{0}\u{202E}"])
    func fallsBackToOrgWithARandomSuffixWhenNothingUsableRemains(name: String) throws {
        let slug = Slug.make(from: name)
        #expect(slug.hasPrefix("org-"))
        #expect(slug.count == 10)
        try Slug.validate(slug)
    }

    @Test func padsVeryShortNamesWithARandomSuffix() throws {
        var generator = FixedGenerator()
        let slug = Slug.make(from: "AI", using: &generator)
        #expect(slug.hasPrefix("ai-") && slug.count == 9)
        var again = FixedGenerator()
        #expect(Slug.make(from: "AI", using: &again) == slug)
        try Slug.validate(slug)
        #expect(Slug.make(from: "X Y").count == 3)
    }

    @Test func fallbackSuffixesDiffer() {
        #expect(Slug.make(from: "فلج") != Slug.make(from: "فلج"))
    }

    @Test(arguments: ["abc", "acme-labs", "a1b", "123", String(repeating: "z", count: 40), "org-k3x9qz"])
    func acceptsValidSlugs(slug: String) {
        #expect(failure(slug) == nil)
    }

    @Test(arguments: [
        "ab", "", String(repeating: "z", count: 41), "Acme", "acme labs", "acme_labs", "café", "-acme", "acme-", "ac--me",
        "acme.labs", "فلج", "acme\u{0}", "'; drop table orgs--", "acme/../x", "ａｃｍｅ",
    ])
    func rejectsInvalidSlugsWithAMessage(slug: String) {
        let error = failure(slug)
        #expect(error?.field == "slug")
        #expect(error?.message.isEmpty == false)
    }

    @Test func explainsWhichRuleWasBroken() {
        #expect(failure("ab")?.message == "Use 3 to 40 lower-case letters (a–z), digits and hyphens.")
        #expect(failure("Acme")?.message == "Use 3 to 40 lower-case letters (a–z), digits and hyphens, with no spaces, accents or other characters.")
        #expect(failure("ac--me")?.message == "Start and end with a letter or digit, and don't put two hyphens together.")
    }

    @Test func madeSlugsAlwaysValidate() throws {
        let names = [
            "a", "ab", "a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f", "x-" + String(repeating: "é", count: 60),
            "🏳️‍🌈 Pride Team", "\u{202E}Evil\u{202C} Corp", "tab\tseparated\nname", String(repeating: "-", count: 80),
        ]
        for name in names {
            try Slug.validate(Slug.make(from: name))
        }
    }
}
