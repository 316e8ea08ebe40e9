/// Percent-encoding for query values and form fields (RFC 3986 unreserved characters stay as they are).
enum PercentEncoding {
    /// Encodes every byte outside `A-Z a-z 0-9 - . _ ~`.
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// A `next=` target that is safe to redirect to: a local path (`/…`, not `//…` or `/\\…`), else `fallback`.
    static func localRedirect(_ target: String, fallback: String = "/app") -> String {
        guard target.hasPrefix("/"), !target.hasPrefix("//"), !target.hasPrefix("/\\"), !target.contains("\r"), !target.contains("\n") else {
            return fallback
        }
        return target
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
