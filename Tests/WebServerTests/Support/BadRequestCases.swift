import Testing

/// A request the server must refuse, and the status it must answer with (limits: ``TestServer/smallLimits``).
struct BadRequestCase: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let status: Int
    /// False for requests the parser accepts and the connection rejects (for example bad percent-escapes).
    let isRejectedByParser: Bool

    init(_ name: String, _ text: String, _ status: Int, isRejectedByParser: Bool = true) {
        self.name = name
        self.bytes = Array(text.utf8)
        self.status = status
        self.isRejectedByParser = isRejectedByParser
    }

    init(_ name: String, bytes: [UInt8], _ status: Int) {
        self.name = name
        self.bytes = bytes
        self.status = status
        self.isRejectedByParser = true
    }

    var testDescription: String { "\(name) → \(status)" }

    /// Every case from the issue, plus a few neighbours of each.
    static let all: [BadRequestCase] = [
        // Request line (400)
        .init("request line without version", "GET /\r\nHost: h\r\n\r\n", 400),
        .init("request line with two spaces", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .init("request line with trailing text", "GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n", 400),
        .init("lower-case version", "GET / http/1.1\r\nHost: h\r\n\r\n", 400),
        .init("version without dot", "GET / HTTP/11\r\nHost: h\r\n\r\n", 400),
        .init("two empty lines before request", "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .init("control byte in target", "GET /a\u{01}b HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .init("target neither origin nor absolute form", "GET index.html HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .init("absolute form without host", "GET http:///a HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .init("asterisk form for GET", "GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .init("malformed percent escape in path", "GET /a%zz HTTP/1.1\r\nHost: h\r\n\r\n", 400, isRejectedByParser: false),
        .init("NUL escape in query", "GET /a?q=%00 HTTP/1.1\r\nHost: h\r\n\r\n", 400, isRejectedByParser: false),
        // Method token (400)
        .init("method with a parenthesis", "G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .init("method with an at sign", "GET@ / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .init("method with a non-ASCII byte", bytes: Array("G".utf8) + [0xC3, 0xA9] + Array("T / HTTP/1.1\r\nHost: h\r\n\r\n".utf8), 400),
        // Host (400)
        .init("HTTP/1.1 without Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400),
        .init("two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        .init("two identical Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400),
        // Sizes (414, 431, 413)
        .init("request line over the limit", "GET /" + String(repeating: "a", count: 2000) + " HTTP/1.1\r\nHost: h\r\n\r\n", 414),
        .init("request line over the limit with no end in sight", "GET /" + String(repeating: "a", count: 2000), 414),
        .init(
            "header section over the limit",
            "GET / HTTP/1.1\r\nHost: h\r\n" + (1...5).map { "X-Fill-\($0): " + String(repeating: "v", count: 1000) + "\r\n" }.joined() + "\r\n",
            431
        ),
        .init("single header line over the limit", "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + String(repeating: "v", count: 5000) + "\r\n\r\n", 431),
        .init("too many header fields", "GET / HTTP/1.1\r\nHost: h\r\n" + (1...25).map { "X-N\($0): v\r\n" }.joined() + "\r\n", 431),
        .init("Content-Length body over the limit", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2000\r\n\r\n", 413),
        .init(
            "chunked body over the limit",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                + String(repeating: "200\r\n" + String(repeating: "x", count: 512) + "\r\n", count: 3)
                + "0\r\n\r\n",
            413
        ),
        .init(
            "trailer section over the limit",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-T: " + String(repeating: "t", count: 5000) + "\r\n\r\n",
            431
        ),
        // Transfer codings (501, 400)
        .init("gzip transfer coding", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        .init("gzip before chunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        .init("chunked twice", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400),
        .init(
            "Content-Length and Transfer-Encoding",
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400
        ),
        .init("Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        // Content-Length (400)
        .init("two differing Content-Length fields", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
        .init("differing Content-Length list", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\nhello!", 400),
        .init("negative Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400),
        .init("Content-Length in exponent form", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1e3\r\n\r\n", 400),
        .init("Content-Length with a plus sign", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\nhello", 400),
        .init("hexadecimal Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x5\r\n\r\nhello", 400),
        .init("empty Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n", 400),
        .init("Content-Length too large for any integer", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400),
        // Line syntax (400)
        .init("bare CR inside a header value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: b\rc\r\n\r\n", 400),
        .init("bare CR inside the request line", "GET /a\rb HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .init("LF-only line endings", "GET / HTTP/1.1\nHost: h\n\n", 400),
        .init("LF-only ending on one header", "GET / HTTP/1.1\r\nHost: h\nX-A: b\r\n\r\n", 400),
        .init("obs-fold continuation line", "GET / HTTP/1.1\r\nHost: h\r\nX-A: b\r\n c\r\n\r\n", 400),
        .init("obs-fold with a tab", "GET / HTTP/1.1\r\nHost: h\r\nX-A: b\r\n\tc\r\n\r\n", 400),
        .init("space before the colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400),
        .init("tab before the colon", "GET / HTTP/1.1\r\nHost\t: h\r\n\r\n", 400),
        .init("header line without colon", "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400),
        .init("empty header name", "GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n", 400),
        .init("NUL in a header value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u{0}b\r\n\r\n", 400),
        // Chunked framing (400)
        .init("non-hex chunk size", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400),
        .init("empty chunk size", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n", 400),
        .init("negative chunk size", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n", 400),
        .init("chunk size with 0x prefix", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", 400),
        .init("chunk size followed by junk", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5 junk\r\nhello\r\n0\r\n\r\n", 400),
        .init(
            "chunk size that overflows",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n",
            400
        ),
        .init("chunk data not followed by CRLF", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", 400),
        .init("chunk data followed by LF only", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n", 400),
        .init("malformed trailer", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nBad Trailer\r\n\r\n", 400),
        // Version (505)
        .init("HTTP/2.0", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
        .init("HTTP/0.9 style version", "GET / HTTP/0.9\r\nHost: h\r\n\r\n", 505),
        .init("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
    ]
}
