import HTTPTypes

/// The parts of a request head collected line by line, validated as they arrive (RFC 9112 §3, §5, §6).
struct PartialHead {
    var skippedEmptyLines = 0
    private(set) var fieldCount = 0
    private var method: HTTPRequest.Method?
    private var target = ""
    private var minorVersion = 1
    private var fields = HTTPFields()

    mutating func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) {
        guard let firstSpace = line.firstIndex(of: 0x20) else { throw HTTPParseError(.malformed, "malformed request line") }
        guard let lastSpace = line.lastIndex(of: 0x20), lastSpace > firstSpace + 1 else {
            throw HTTPParseError(.malformed, "malformed request line")
        }
        let methodBytes = line[line.startIndex..<firstSpace]
        let targetBytes = line[(firstSpace + 1)..<lastSpace]
        let versionBytes = line[(lastSpace + 1)...]
        guard !methodBytes.isEmpty, methodBytes.allSatisfy(HTTPSyntax.isTokenByte),
            let method = HTTPRequest.Method(String(decoding: methodBytes, as: UTF8.self))
        else { throw HTTPParseError(.malformed, "invalid method") }
        guard !targetBytes.isEmpty, targetBytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw HTTPParseError(.malformed, "invalid request target")
        }
        minorVersion = try Self.parseVersion(versionBytes)
        self.method = method
        self.target = String(decoding: targetBytes, as: UTF8.self)
    }

    private static func parseVersion(_ bytes: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        let prefix: [UInt8] = Array("HTTP/".utf8)
        guard bytes.count == 8, bytes.starts(with: prefix) else { throw HTTPParseError(.malformed, "invalid HTTP version") }
        let major = bytes[bytes.startIndex + 5]
        let dot = bytes[bytes.startIndex + 6]
        let minor = bytes[bytes.startIndex + 7]
        guard HTTPSyntax.isDigit(major), dot == UInt8(ascii: "."), HTTPSyntax.isDigit(minor) else {
            throw HTTPParseError(.malformed, "invalid HTTP version")
        }
        guard major == UInt8(ascii: "1") else {
            throw HTTPParseError(.unsupportedVersion, "only HTTP/1.0 and HTTP/1.1 are supported")
        }
        // A higher minor version of a major version we implement is processed as the highest one we know (RFC 9110 §6.2).
        return min(Int(minor - UInt8(ascii: "0")), 1)
    }

    mutating func addField(_ line: ArraySlice<UInt8>) throws(HTTPParseError) {
        guard let first = line.first else { throw HTTPParseError(.malformed, "empty header line") }
        if first == 0x20 || first == 0x09 { throw HTTPParseError(.malformed, "obsolete line folding") }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { throw HTTPParseError(.malformed, "header line without colon") }
        let nameBytes = line[line.startIndex..<colon]
        guard !nameBytes.isEmpty, nameBytes.allSatisfy(HTTPSyntax.isTokenByte) else {
            // Covers whitespace between the name and the colon (RFC 9112 §5.1), a smuggling vector.
            throw HTTPParseError(.malformed, "invalid header name")
        }
        var valueStart = colon + 1
        var valueEnd = line.endIndex
        while valueStart < valueEnd, HTTPSyntax.isWhitespace(line[valueStart]) { valueStart += 1 }
        while valueEnd > valueStart, HTTPSyntax.isWhitespace(line[valueEnd - 1]) { valueEnd -= 1 }
        let value = line[valueStart..<valueEnd]
        guard value.allSatisfy(HTTPSyntax.isFieldValueByte) else { throw HTTPParseError(.malformed, "invalid character in header value") }
        guard let name = HTTPField.Name(String(decoding: nameBytes, as: UTF8.self)) else {
            throw HTTPParseError(.malformed, "invalid header name")
        }
        fields.append(HTTPField(name: name, value: value))
        fieldCount += 1
    }

    /// Validates framing and connection semantics and returns the head.
    func finish() throws(HTTPParseError) -> HTTPRequestHead {
        guard let method else { throw HTTPParseError(.malformed, "missing request line") }
        let framing = try bodyFraming()
        let hosts = fields[values: HTTPSyntax.hostField]
        if minorVersion == 1 {
            guard hosts.count == 1 else { throw HTTPParseError(.malformed, hosts.isEmpty ? "missing Host header" : "multiple Host headers") }
        } else if hosts.count > 1 {
            throw HTTPParseError(.malformed, "multiple Host headers")
        }
        let connectionTokens = HTTPSyntax.lowercasedTokens(fields[values: .connection])
        let keepAlive =
            minorVersion == 1 ? !connectionTokens.contains("close") : connectionTokens.contains("keep-alive") && !connectionTokens.contains("close")
        let expectsContinue = minorVersion == 1 && fields[.expect].map { $0.lowercased() == "100-continue" } == true

        let (rawPath, rawQuery, authority) = try splitTarget(method: method)
        return HTTPRequestHead(
            method: method,
            target: target,
            rawPath: rawPath,
            rawQuery: rawQuery,
            authority: authority ?? hosts.first,
            minorVersion: minorVersion,
            headerFields: fields,
            framing: framing,
            keepAlive: keepAlive,
            expectsContinue: expectsContinue
        )
    }

    private func bodyFraming() throws(HTTPParseError) -> HTTPBodyFraming {
        let transferEncodings = fields[values: .transferEncoding]
        let contentLengths = fields[values: .contentLength]
        if !transferEncodings.isEmpty {
            guard contentLengths.isEmpty else { throw HTTPParseError(.malformed, "both Content-Length and Transfer-Encoding") }
            guard minorVersion == 1 else { throw HTTPParseError(.malformed, "Transfer-Encoding in an HTTP/1.0 request") }
            let codings = HTTPSyntax.lowercasedTokens(transferEncodings)
            guard !codings.isEmpty else { throw HTTPParseError(.malformed, "empty Transfer-Encoding") }
            if codings.contains(where: { $0 != "chunked" }) {
                throw HTTPParseError(.unsupportedTransferEncoding, "unsupported Transfer-Encoding")
            }
            guard codings.count == 1 else { throw HTTPParseError(.malformed, "chunked applied more than once") }
            return .chunked
        }
        guard !contentLengths.isEmpty else { return .none }
        var length: Int?
        for headerValue in contentLengths {
            for item in headerValue.split(separator: ",", omittingEmptySubsequences: false) {
                let trimmed = item.trimmingWhitespace()
                guard !trimmed.isEmpty, trimmed.utf8.count <= 18, trimmed.utf8.allSatisfy(HTTPSyntax.isDigit), let value = Int(trimmed) else {
                    throw HTTPParseError(.malformed, "invalid Content-Length")
                }
                if let length, length != value { throw HTTPParseError(.malformed, "conflicting Content-Length values") }
                length = value
            }
        }
        return .contentLength(length ?? 0)
    }

    private func splitTarget(method: HTTPRequest.Method) throws(HTTPParseError) -> (path: String, query: String?, authority: String?) {
        var pathAndQuery = Substring(target)
        var authority: String?
        if target == "*" {
            guard method == .options else { throw HTTPParseError(.malformed, "asterisk-form target is only valid for OPTIONS") }
            return ("*", nil, nil)
        }
        if method == .connect {
            // authority-form: host:port. Routed like any path; no handler accepts CONNECT.
            return (target, nil, target)
        }
        if !target.hasPrefix("/") {
            let lower = target.lowercased()
            guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else { throw HTTPParseError(.malformed, "invalid request target") }
            let afterScheme = target[target.index(target.startIndex, offsetBy: lower.hasPrefix("http://") ? 7 : 8)...]
            let slash = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? afterScheme.endIndex
            authority = String(afterScheme[..<slash])
            guard let authority, !authority.isEmpty else { throw HTTPParseError(.malformed, "absolute-form target without host") }
            pathAndQuery = afterScheme[slash...]
            if pathAndQuery.isEmpty || pathAndQuery.first == "?" { pathAndQuery = "/" + pathAndQuery }
        }
        if let questionMark = pathAndQuery.firstIndex(of: "?") {
            return (String(pathAndQuery[..<questionMark]), String(pathAndQuery[pathAndQuery.index(after: questionMark)...]), authority)
        }
        return (String(pathAndQuery), nil, authority)
    }
}

/// Character classes from RFC 9110 §5.6.
enum HTTPSyntax {
    /// `Host`; swift-http-types hides its own constant in favour of `HTTPRequest.authority`.
    static let hostField = HTTPField.Name("Host")!

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    static func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    /// tchar: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
            UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default: false
        }
    }

    /// field-vchar / SP / HTAB, with obs-text allowed.
    static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte == 0x09 || (byte >= 0x20 && byte != 0x7F)
    }

    /// Splits comma-separated header values into lower-cased, trimmed, non-empty tokens.
    static func lowercasedTokens(_ values: [String]) -> [String] {
        values.flatMap { value in
            value.split(separator: ",").map { $0.trimmingWhitespace().lowercased() }.filter { !$0.isEmpty }
        }
    }
}

extension StringProtocol {
    /// The string without leading and trailing spaces and tabs.
    func trimmingWhitespace() -> Substring {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return slice
    }
}
