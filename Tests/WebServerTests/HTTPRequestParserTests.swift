import HTTPTypes
import Testing

@testable import WebServer

/// A request the parser must accept, and what it must make of it. Nil expectations are not checked.
struct ValidRequestCase: Sendable, CustomTestStringConvertible {
    var name: String
    var text: String
    var method = "GET"
    var rawPath = "/"
    var rawQuery: String?? = .none
    var authority: String?? = .none
    var minorVersion = 1
    var keepAlive = true
    var expectsContinue = false
    var framing: HTTPBodyFraming?
    var body = ""
    var fields: [String]?

    var testDescription: String { name }

    static let all: [ValidRequestCase] = [
        .init(
            name: "simple GET",
            text: "GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n",
            rawPath: "/index.html",
            rawQuery: .some(nil),
            authority: "example.com",
            framing: .some(.none),
            fields: ["Host: example.com"]
        ),
        .init(
            name: "optional whitespace around field values is trimmed",
            text: "GET / HTTP/1.1\r\nHost:  example.com \t\r\nX-Custom:\tvalue with  inner space \r\nX-Empty:\r\nX-Tight:v\r\n\r\n",
            authority: "example.com",
            fields: ["Host: example.com", "X-Custom: value with  inner space", "X-Empty: ", "X-Tight: v"]
        ),
        .init(
            name: "Content-Length body",
            text: "POST /submit HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world",
            method: "POST",
            rawPath: "/submit",
            framing: .contentLength(11),
            body: "hello world"
        ),
        .init(
            name: "zero Content-Length",
            text: "POST /submit HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
            method: "POST",
            rawPath: "/submit",
            framing: .contentLength(0)
        ),
        .init(
            name: "identical duplicate Content-Length fields",
            text: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
            method: "POST",
            framing: .contentLength(5),
            body: "hello"
        ),
        .init(
            name: "identical Content-Length list",
            text: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\nhello",
            method: "POST",
            framing: .contentLength(5),
            body: "hello"
        ),
        .init(
            name: "chunked body with extensions and trailers",
            text: "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n"
                + "5;name=value\r\nhello\r\n6 ; ext ; other=\"quoted\"\r\n world\r\nA\r\n0123456789\r\n0\r\nX-Trailer: yes\r\nX-Other: 1\r\n\r\n",
            method: "POST",
            rawPath: "/up",
            framing: .chunked,
            body: "hello world0123456789"
        ),
        .init(
            name: "chunked body with no trailers",
            text: "PUT /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            method: "PUT",
            rawPath: "/up",
            framing: .chunked,
            body: "abc"
        ),
        .init(name: "HTTP/1.1 keeps the connection by default", text: "GET / HTTP/1.1\r\nHost: h\r\n\r\n", keepAlive: true),
        .init(name: "HTTP/1.0 closes by default", text: "GET / HTTP/1.0\r\n\r\n", authority: .some(nil), minorVersion: 0, keepAlive: false),
        .init(name: "HTTP/1.0 keeps with keep-alive", text: "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", minorVersion: 0, keepAlive: true),
        .init(
            name: "HTTP/1.0 keep-alive then close",
            text: "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
            minorVersion: 0,
            keepAlive: false
        ),
        .init(name: "HTTP/1.1 Connection: close", text: "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", keepAlive: false),
        .init(name: "HTTP/1.1 close among other tokens", text: "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, CLOSE\r\n\r\n", keepAlive: false),
        .init(
            name: "Expect: 100-continue",
            text: "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nok",
            method: "POST",
            expectsContinue: true,
            body: "ok"
        ),
        .init(
            name: "Expect: 100-continue is ignored in HTTP/1.0",
            text: "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
            method: "POST",
            minorVersion: 0,
            keepAlive: false,
            expectsContinue: false,
            body: "ok"
        ),
        .init(name: "HEAD", text: "HEAD /page HTTP/1.1\r\nHost: h\r\n\r\n", method: "HEAD", rawPath: "/page", framing: .some(.none)),
        .init(
            name: "absolute-form target",
            text: "GET http://example.com/a?b=1 HTTP/1.1\r\nHost: other.example\r\n\r\n",
            rawPath: "/a",
            rawQuery: "b=1",
            authority: "example.com"
        ),
        .init(
            name: "absolute-form target without path",
            text: "GET HTTPS://Example.com:8443?x HTTP/1.1\r\nHost: Example.com:8443\r\n\r\n",
            rawPath: "/",
            rawQuery: "x",
            authority: "Example.com:8443"
        ),
        .init(
            name: "asterisk-form for OPTIONS",
            text: "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
            method: "OPTIONS",
            rawPath: "*",
            rawQuery: .some(nil)
        ),
        .init(
            name: "percent-encoded path and query stay raw in the head",
            text: "GET /a%20b/c%2Fd?q=x+y&name=%C3%A9t%C3%A9 HTTP/1.1\r\nHost: h\r\n\r\n",
            rawPath: "/a%20b/c%2Fd",
            rawQuery: "q=x+y&name=%C3%A9t%C3%A9"
        ),
        .init(name: "one empty line before the request line", text: "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"),
        .init(name: "HTTP/1.0 without Host", text: "GET /old HTTP/1.0\r\n\r\n", rawPath: "/old", minorVersion: 0, keepAlive: false),
        .init(
            name: "higher HTTP/1.x minor version is treated as 1.1",
            text: "GET / HTTP/1.2\r\nHost: h\r\n\r\n",
            minorVersion: 1,
            keepAlive: true
        ),
        .init(name: "extension method", text: "PROPFIND /dav HTTP/1.1\r\nHost: h\r\n\r\n", method: "PROPFIND", rawPath: "/dav"),
        .init(
            name: "obs-text in a field value",
            text: "GET / HTTP/1.1\r\nHost: h\r\nX-Latin: caf\u{E9}\r\n\r\n",
            fields: ["Host: h", "X-Latin: caf\u{E9}"]
        ),
    ]
}

@Suite("HTTP request parser")
struct HTTPRequestParserTests {
    @Test("accepts valid requests", arguments: ValidRequestCase.all)
    func acceptsValidRequest(_ valid: ValidRequestCase) throws {
        let outcome = runParser(valid.text)
        #expect(outcome.error == nil, "unexpected error; steps: \(outcome.steps)")
        #expect(outcome.steps.last == .end, "request should be complete; steps: \(outcome.steps)")
        let head = try #require(outcome.heads.first)
        #expect(outcome.heads.count == 1)
        #expect(head.method == valid.method)
        #expect(head.rawPath == valid.rawPath)
        if case .some(let rawQuery) = valid.rawQuery { #expect(head.rawQuery == rawQuery) }
        if case .some(let authority) = valid.authority { #expect(head.authority == authority) }
        #expect(head.minorVersion == valid.minorVersion)
        #expect(head.keepAlive == valid.keepAlive)
        #expect(head.expectsContinue == valid.expectsContinue)
        if let framing = valid.framing { #expect(head.framing == framing) }
        #expect(outcome.bodyText == valid.body)
        if let fields = valid.fields { #expect(head.fields == fields) }
    }

    @Test("gives the same events when fed one byte at a time", arguments: ValidRequestCase.all)
    func byteAtATimeMatchesWholeBuffer(_ valid: ValidRequestCase) {
        let whole = runParser(valid.text)
        let byteWise = runParser(valid.text, sliceSize: 1)
        #expect(byteWise.steps == whole.steps)
    }

    @Test("rejects invalid requests with the right status", arguments: BadRequestCase.all.filter(\.isRejectedByParser))
    func rejectsInvalidRequest(_ bad: BadRequestCase) {
        let outcome = runParser(bad.bytes)
        guard let code = outcome.error else {
            Issue.record("parser accepted it; steps: \(outcome.steps)")
            return
        }
        #expect(Int(HTTPParseError(code, "").status.code) == bad.status)
        let byteWise = runParser(bad.bytes, sliceSize: 1)
        #expect(byteWise.error == code, "byte-at-a-time feeding ended differently: \(byteWise.steps)")
    }

    @Test("parses pipelined requests from one buffer in order")
    func pipelinedRequests() {
        let text =
            "GET /one HTTP/1.1\r\nHost: h\r\n\r\n"
            + "POST /two HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
            + "POST /three HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n"
            + "GET /four HTTP/1.0\r\n\r\n"
        for sliceSize in [nil, 1, 7] {
            let outcome = runParser(text, sliceSize: sliceSize)
            #expect(outcome.heads.map(\.rawPath) == ["/one", "/two", "/three", "/four"])
            #expect(outcome.steps.filter { $0 == .end }.count == 4)
            #expect(outcome.body(ofRequest: 1) == Array("abc".utf8))
            #expect(outcome.body(ofRequest: 2) == Array("de".utf8))
            #expect(outcome.error == nil)
        }
    }

    @Test("waits for more bytes without events while a request is incomplete")
    func incompleteRequestWaits() {
        let outcome = runParser("GET / HTTP/1.1\r\nHost: h\r\n")
        #expect(outcome.steps.isEmpty)
        let partialBody = runParser("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc")
        #expect(partialBody.heads.count == 1)
        #expect(partialBody.steps.last == .body(Array("abc".utf8)))
    }

    @Test("allows a larger body once the caller raises the limit for the route")
    func raisedBodyLimit() throws {
        var parser = HTTPRequestParser(limits: TestServer.smallLimits)
        let body = String(repeating: "x", count: 3000)
        Array("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3000\r\n\r\n\(body)".utf8).withUnsafeBytes { parser.feed($0) }
        guard case .head = try parser.next() else {
            Issue.record("expected the head first")
            return
        }
        parser.bodyLimit = 4096
        var received = 0
        while let event = try parser.next() {
            if case .body(let chunk) = event { received += chunk.count }
        }
        #expect(received == 3000)
    }

    @Test("maps every error code to its status")
    func statusMapping() {
        let expected: [(HTTPParseError.Code, Int)] = [
            (.malformed, 400), (.requestLineTooLong, 414), (.headersTooLarge, 431), (.bodyTooLarge, 413),
            (.unsupportedTransferEncoding, 501), (.unsupportedVersion, 505), (.requestTimeout, 408),
        ]
        for (code, status) in expected {
            #expect(Int(HTTPParseError(code, "x").status.code) == status, "\(code)")
        }
    }
}

@Suite("Percent-decoding")
struct PercentDecodingTests {
    @Test("decodes path segments without treating + as space")
    func pathSegments() {
        #expect(PercentDecoding.pathSegments("/a%20b/c%2Fd/e+f") == ["a b", "c/d", "e+f"])
        #expect(PercentDecoding.pathSegments("/%C3%A9t%C3%A9//x/") == ["été", "x"])
        #expect(PercentDecoding.pathSegments("/") == [])
    }

    @Test("decodes query items with + as space")
    func queryItems() throws {
        let items = try #require(PercentDecoding.queryItems("q=x+y&name=%C3%A9t%C3%A9&flag&empty=&a=b=c&&plus=%2B"))
        #expect(items.map(\.name) == ["q", "name", "flag", "empty", "a", "plus"])
        #expect(items.map(\.value) == ["x y", "été", "", "", "b=c", "+"])
    }

    @Test("rejects malformed escapes, NUL and invalid UTF-8", arguments: ["%", "%2", "%zz", "a%g1", "%00", "%C3", "%FF%FE"])
    func rejectsMalformed(_ raw: String) {
        #expect(PercentDecoding.decode(Substring(raw)) == nil)
        #expect(PercentDecoding.pathSegments("/" + raw) == nil)
        #expect(PercentDecoding.queryItems("k=" + raw) == nil)
    }
}
