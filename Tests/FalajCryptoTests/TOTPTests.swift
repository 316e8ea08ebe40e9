import FalajCrypto
import Foundation
import Testing

@Suite struct TOTPTests {
    /// The RFC 6238 Appendix B seed for SHA-1: the ASCII string "12345678901234567890".
    static let rfcSecret = Array("12345678901234567890".utf8)

    @Test func hmacSHA1MatchesRFC2202Vectors() {
        let first = HMACSHA1.authenticate(message: "Hi There".utf8, key: [UInt8](repeating: 0x0b, count: 20))
        #expect(Hex.encode(first) == "b617318655057264e28bc0b6fb378c8ef146be00")
        let second = HMACSHA1.authenticate(message: "what do ya want for nothing?".utf8, key: "Jefe".utf8)
        #expect(Hex.encode(second) == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
    }

    /// RFC 6238 Appendix B, the SHA-1 rows.
    @Test(arguments: [
        (59.0, 1, "94287082"), (1_111_111_109, 0x23523EC, "07081804"), (1_111_111_111, 0x23523ED, "14050471"),
        (1_234_567_890, 0x273EF07, "89005924"), (2_000_000_000, 0x3F940AA, "69279037"),
        (20_000_000_000, 0x27BC86AA, "65353130"),
    ])
    func eightDigitCodesMatchRFC6238AppendixB(seconds: Double, counter: Int, expected: String) {
        let totp = TOTP(secret: Self.rfcSecret, digits: 8)
        let date = Date(timeIntervalSince1970: seconds)
        #expect(totp.counter(at: date) == counter)
        #expect(totp.code(at: date) == expected)
        #expect(totp.verify(expected, at: date, window: 0) == counter)
    }

    /// RFC 4226 Appendix D: six-digit HOTP values for counters 0 to 9, which are the TOTP codes of steps 0 to 9.
    @Test func sixDigitCodesMatchRFC4226AppendixD() {
        let totp = TOTP(secret: Self.rfcSecret)
        let expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]
        #expect((0..<10).map { totp.code(counter: $0) } == expected)
        #expect(totp.code(at: Date(timeIntervalSince1970: 59)) == "287082")
        #expect(totp.code(at: Date(timeIntervalSince1970: 60)) == "359152")
        #expect(totp.digits == 6 && totp.period == 30)
    }

    @Test func codesKeepTheirLeadingZeros() {
        let totp = TOTP(secret: Self.rfcSecret, digits: 8)
        #expect(totp.code(at: Date(timeIntervalSince1970: 1_111_111_109)) == "07081804")
        #expect(totp.verify("7081804", at: Date(timeIntervalSince1970: 1_111_111_109)) == nil)
    }

    @Test func verifyAcceptsCodesWithinTheWindowAndReportsTheirStep() {
        // Steps 3 to 7 of the RFC secret have distinct codes (RFC 4226 Appendix D), so each code matches one step.
        let totp = TOTP(secret: Self.rfcSecret)
        let now = Date(timeIntervalSince1970: 5 * 30 + 12)
        #expect(totp.counter(at: now) == 5)
        #expect(totp.verify("254676", at: now) == 5)
        #expect(totp.verify("338314", at: now) == 4)
        #expect(totp.verify("287922", at: now) == 6)
        #expect(totp.verify("969429", at: now) == nil)
        #expect(totp.verify("969429", at: now, window: 2) == 3)
        #expect(totp.verify("162583", at: now, window: 2) == 7)
        #expect(totp.verify("338314", at: now, window: 0) == nil)
        #expect(totp.verify("254676", at: now, window: 0) == 5)
        #expect(totp.verify("254676", at: now, window: -3) == 5)
    }

    @Test func freshSecretsRoundTripThroughCodeAndVerify() {
        let totp = TOTP(secret: TOTP.generateSecret())
        let now = Date()
        #expect(totp.verify(totp.code(at: now), at: now) == totp.counter(at: now))
    }

    @Test func aCodeExpiresOnceItsStepLeavesTheWindow() {
        let totp = TOTP(secret: Self.rfcSecret)
        let issued = Date(timeIntervalSince1970: 59)
        let code = totp.code(at: issued)
        #expect(totp.verify(code, at: issued.addingTimeInterval(30)) == 1)
        #expect(totp.verify(code, at: issued.addingTimeInterval(-30)) == 1)
        #expect(totp.verify(code, at: issued.addingTimeInterval(90)) == nil)
        #expect(totp.verify(code, at: issued.addingTimeInterval(90), window: 3) == 1)
    }

    @Test func hugeWindowsAreClampedToTenSteps() throws {
        let totp = TOTP(secret: Self.rfcSecret)
        let now = Date(timeIntervalSince1970: 30 * 1000)
        let inside = Set((990...1010).map { totp.code(counter: $0) })
        let elevenBack = totp.code(counter: 989)
        try #require(!inside.contains(elevenBack))
        #expect(totp.verify(totp.code(counter: 990), at: now, window: .max) == 990)
        #expect(totp.verify(elevenBack, at: now, window: .max) == nil)
    }

    @Test(arguments: ["", "28708", "2870822", "28708a", "287 082", " 287082", "２８７０８２", "٢٨٧٠٨٢", "+87082", "-87082", "287082\0"])
    func verifyRejectsMalformedInput(code: String) {
        let totp = TOTP(secret: Self.rfcSecret)
        #expect(totp.verify(code, at: Date(timeIntervalSince1970: 59), window: 10) == nil)
    }

    @Test func generatedSecretsAreTwentyFreshBytes() {
        let first = TOTP.generateSecret()
        #expect(first.count == 20)
        #expect(first != TOTP.generateSecret())
    }

    @Test func otpauthURIHasTheShapeAuthenticatorAppsRead() {
        let uri = TOTP.otpauthURI(secret: Self.rfcSecret, issuer: "Falaj", account: "amira@example.com")
        #expect(
            uri == "otpauth://totp/Falaj:amira%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                + "&issuer=Falaj&algorithm=SHA1&digits=6&period=30"
        )
    }

    @Test func otpauthURIPercentEncodesIssuerAndAccount() throws {
        let uri = TOTP.otpauthURI(secret: [0xff], issuer: "Acme Co: Ops&Dev", account: "فلج#1?x=y", digits: 8, period: 60)
        #expect(
            uri == "otpauth://totp/Acme%20Co%3A%20Ops%26Dev:%D9%81%D9%84%D8%AC%231%3Fx%3Dy?secret=74"
                + "&issuer=Acme%20Co%3A%20Ops%26Dev&algorithm=SHA1&digits=8&period=60"
        )
        let components = try #require(URLComponents(string: uri))
        #expect(components.scheme == "otpauth")
        #expect(components.host == "totp")
        #expect(components.path == "/Acme Co: Ops&Dev:فلج#1?x=y")
        #expect(components.queryItems?.first { $0.name == "issuer" }?.value == "Acme Co: Ops&Dev")
        #expect(components.queryItems?.count == 5)
    }
}
