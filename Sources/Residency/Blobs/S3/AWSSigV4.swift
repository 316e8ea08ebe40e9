import FalajCrypto
package import Foundation

/// AWS Signature Version 4 for S3 requests signed in the `Authorization` header.
///
/// Builds the canonical request, the string to sign and the signing key exactly as the SigV4 documentation
/// describes (`AWS4-HMAC-SHA256`, scope `<yyyymmdd>/<region>/s3/aws4_request`). Pure: no I/O, no clock.
package struct AWSSigV4: Sendable {
    /// The payload hash that tells S3 the body is not covered by the signature.
    package static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// SHA-256 of the empty body, for requests without one.
    package static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    package let accessKeyID: String
    private let secretAccessKey: String
    package let region: String
    package let service: String

    /// Creates a signer.
    /// - Parameters:
    ///   - service: defaults to `s3`.
    package init(accessKeyID: String, secretAccessKey: String, region: String, service: String = "s3") {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.region = region
        self.service = service
    }

    /// The `Authorization` header value for a request whose `headers` already hold `host`, `x-amz-date`,
    /// `x-amz-content-sha256` and anything else to sign (every given header is signed).
    /// - Parameters:
    ///   - path: the canonical URI, already percent-encoded (S3: each key byte encoded once, `/` kept).
    ///   - query: raw (not encoded) query parameters.
    ///   - payloadHash: hex SHA-256 of the body, or ``unsignedPayload``.
    ///   - amzDate: `yyyyMMdd'T'HHmmss'Z'`, the same value as the `x-amz-date` header.
    package func authorization(
        method: String,
        path: String,
        query: [(name: String, value: String)],
        headers: [(name: String, value: String)],
        payloadHash: String,
        amzDate: String
    ) -> String {
        let canonical = Self.canonicalRequest(method: method, path: path, query: query, headers: headers, payloadHash: payloadHash)
        let dateStamp = String(amzDate.prefix(8))
        let scope = "\(dateStamp)/\(region)/\(service)/aws4_request"
        let toSign = Self.stringToSign(canonicalRequest: canonical.text, amzDate: amzDate, scope: scope)
        let signature = Hex.encode(HMACSHA256.authenticate(message: Array(toSign.utf8), key: signingKey(dateStamp: dateStamp)))
        return "AWS4-HMAC-SHA256 Credential=\(accessKeyID)/\(scope),SignedHeaders=\(canonical.signedHeaders),Signature=\(signature)"
    }

    /// The canonical request and its `SignedHeaders` list.
    package static func canonicalRequest(
        method: String,
        path: String,
        query: [(name: String, value: String)],
        headers: [(name: String, value: String)],
        payloadHash: String
    ) -> (text: String, signedHeaders: String) {
        var merged: [String: [String]] = [:]
        for (name, value) in headers {
            let trimmed = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
            merged[name.lowercased(), default: []].append(trimmed)
        }
        let names = merged.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let text = [method, path.isEmpty ? "/" : path, canonicalQuery(query), canonicalHeaders, signedHeaders, payloadHash]
            .joined(separator: "\n")
        return (text, signedHeaders)
    }

    /// `name=value` pairs, each side encoded (`/` too), sorted by encoded name then value, joined by `&`.
    package static func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        let encoded: [(name: String, value: String)] = query.map { item in
            (uriEncode(item.name, isSlashEncoded: true), uriEncode(item.value, isSlashEncoded: true))
        }
        let sorted = encoded.sorted { lhs, rhs in lhs.name == rhs.name ? lhs.value < rhs.value : lhs.name < rhs.name }
        return sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    /// The string to sign: algorithm, date, scope and the hex SHA-256 of the canonical request.
    package static func stringToSign(canonicalRequest: String, amzDate: String, scope: String) -> String {
        "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(SHA256.hexString(Array(canonicalRequest.utf8)))"
    }

    /// HMAC chain `AWS4<secret>` → date → region → service → `aws4_request`.
    package func signingKey(dateStamp: String) -> [UInt8] {
        var key = HMACSHA256.authenticate(message: Array(dateStamp.utf8), key: Array("AWS4\(secretAccessKey)".utf8))
        for part in [region, service, "aws4_request"] {
            key = HMACSHA256.authenticate(message: Array(part.utf8), key: key)
        }
        return key
    }

    /// RFC 3986 encoding as SigV4 wants it: unreserved characters (`A-Z a-z 0-9 - . _ ~`) stay, every other UTF-8
    /// byte becomes `%XX` (upper-case hex); `/` stays unless `isSlashEncoded`.
    package static func uriEncode(_ text: String, isSlashEncoded: Bool) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where !isSlashEncoded:
                out.append("/")
            default:
                let hex = Array("0123456789ABCDEF")
                out.append("%")
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return out
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC.
    package static func amzDate(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return pad(year, 4) + pad(month, 2) + pad(day, 2) + "T" + pad(secondOfDay / 3600, 2) + pad(secondOfDay / 60 % 60, 2)
            + pad(secondOfDay % 60, 2) + "Z"
    }
}
