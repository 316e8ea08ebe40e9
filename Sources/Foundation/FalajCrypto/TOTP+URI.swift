extension TOTP {
    /// Returns the `otpauth://` key URI that authenticator apps read from a QR code, in the form
    /// `otpauth://totp/Issuer:account?secret=BASE32&issuer=Issuer&algorithm=SHA1&digits=6&period=30`.
    ///
    /// The issuer and account are percent-encoded as UTF-8, leaving only `A–Z a–z 0–9 - . _ ~` as they are, so a
    /// colon, `@`, `&`, `#`, a space (`%20`) or Arabic text cannot change the URI's structure. The secret is
    /// ``Base32`` without padding.
    /// - Parameters:
    ///   - secret: the shared secret, from ``generateSecret()``.
    ///   - issuer: the service name shown in the app, for example `Falaj`.
    ///   - account: the user's account name, usually the e-mail address.
    ///   - digits: digits per code; defaults to 6. Must match the ``TOTP`` that verifies the codes.
    ///   - period: seconds per time step; defaults to 30. Must match the ``TOTP`` that verifies the codes.
    public static func otpauthURI(secret: [UInt8], issuer: String, account: String, digits: Int = 6, period: Int = 30) -> String {
        let encodedIssuer = percentEncoded(issuer)
        return "otpauth://totp/\(encodedIssuer):\(percentEncoded(account))?secret=\(Base32.encode(secret))"
            + "&issuer=\(encodedIssuer)&algorithm=SHA1&digits=\(digits)&period=\(period)"
    }

    /// Percent-encodes every UTF-8 byte except RFC 3986's unreserved characters, with upper-case hex digits.
    static func percentEncoded(_ text: String) -> String {
        let hexDigits = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                output.append(byte)
            default:
                output.append(contentsOf: [UInt8(ascii: "%"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
