import HTTPTypes
import TestSupport
import Testing
import WebServer

/// Tests that start a real ``HTTPServer`` and talk to it over loopback sockets.
///
/// Serialized: several of them measure this process's descriptors, memory or CPU, which other
/// servers running at the same time would disturb. Pure parser and router tests still run in parallel.
@Suite("HTTP server over real sockets", .serialized, .timeLimit(.minutes(2)))
struct LiveServerTests {
    /// The routes most live tests share.
    static func standardRoutes(_ routes: inout RouterBuilder) {
        routes.get("/") { _ in .text("hello") }
        routes.get("/echo/:value") { request in .text(request.parameters["value"] ?? "") }
        routes.post("/echo") { request in
            .text(String(decoding: try await request.body.collect(upTo: 1 << 20), as: UTF8.self))
        }
        routes.post("/ignore-body") { _ in .text("ignored") }
        routes.post("/upload-small", maxBodySize: 4096) { request in
            .text("\(try await request.body.collect(upTo: 1 << 20).count)")
        }
        routes.get("/things") { _ in .text("list") }
        routes.post("/things") { _ in .text("created", status: .created) }
        routes.get("/failing-stream") { _ in
            Response(
                body: .stream { writer in
                    try await writer.write("partial")
                    throw HTTPError(.internalServerError, "the producer failed halfway")
                }
            )
        }
        routes.get("/stream") { _ in
            Response(
                headerFields: [.contentType: "text/plain"],
                body: .stream { writer in
                    for index in 0..<10 {
                        try await writer.write("part \(index)\n")
                        await Task.yield()
                    }
                }
            )
        }
    }
}

extension LiveServerTests {
    @Suite("Connection handling")
    struct ConnectionHandling {
        @Test("serves several requests on one kept-alive connection")
        func keepAlive() async throws {
            try await withTestServer(routes: LiveServerTests.standardRoutes) { server in
                let client = try await server.connect()
                defer { client.close() }
                for index in 0..<5 {
                    let response = try await client.request("GET", "/echo/\(index)")
                    #expect(response.statusCode == 200)
                    #expect(response.bodyText == "\(index)")
                    #expect(!response.isConnectionClose)
                }
                #expect(server.server.acceptedConnectionCount == 1)
            }
        }

        @Test("answers 100 pipelined requests sent in one write, in order")
        func pipelining() async throws {
            try await withTestServer(routes: LiveServerTests.standardRoutes) { server in
                let client = try await server.connect()
                defer { client.close() }
                var batch = ""
                for index in 0..<100 {
                    if index % 10 == 3 {
                        batch += "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: \("\(index)".utf8.count)\r\n\r\n\(index)"
                    } else {
                        batch += "GET /echo/\(index) HTTP/1.1\r\nHost: h\r\n\r\n"
                    }
                }
                try await client.send(batch)
                for index in 0..<100 {
                    let response = try await client.readResponse()
                    #expect(response.statusCode == 200)
                    #expect(response.bodyText == "\(index)", "response \(index) out of order")
                }
            }
        }

        @Test("closes after answering a request with Connection: close")
        func connectionCloseRequest() async throws {
            try await withTestServer(routes: LiveServerTests.standardRoutes) { server in
                let client = try await server.connect()
                defer { client.close() }
                let response = try await client.request("GET", "/", headers: ["Connection: close"])
                #expect(response.statusCode == 200)
                #expect(response.isConnectionClose)
                #expect(await client.isClosedByPeer(within: .seconds(2)))
            }
        }

        @Test("closes after an HTTP/1.0 request without keep-alive, keeps it with keep-alive")
        func http10() async throws {
            try await withTestServer(routes: LiveServerTests.standardRoutes) { server in
                let plain = try await server.connect()
                defer { plain.close() }
                try await plain.send("GET / HTTP/1.0\r\n\r\n")
                let response = try await plain.readResponse()
                #expect(response.statusCode == 200)
                #expect(response.bodyText == "hello")
                #expect(await plain.isClosedByPeer(within: .seconds(2)))

                let kept = try await server.connect()
                defer { kept.close() }
                for _ in 0..<2 {
                    try await kept.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                    let response = try await kept.readResponse()
                    #expect(response.bodyText == "hello")
                    #expect(response.header("Connection")?.lowercased() == "keep-alive")
                }
            }
        }

        @Test("answers HEAD with the GET headers and Content-Length but no body")
        func head() async throws {
            try await withTestServer(routes: LiveServerTests.standardRoutes) { server in
                let client = try await server.connect()
                defer { client.close() }
                let head = try await client.request("HEAD", "/")
                #expect(head.statusCode == 200)
                #expect(head.header("Content-Length") == "5")
                #expect(head.header("Content-Type") == "text/plain; charset=utf-8")
                // Any stray body bytes would corrupt the next response on this connection.
                let next = try await client.request("GET", "/echo/after-head")
                #expect(next.statusCode == 200)
                #expect(next.bodyText == "after-head")
                let streamHead = try await client.request("HEAD", "/stream")
                #expect(streamHead.statusCode == 200)
                #expect(try await client.request("GET", "/echo/after-stream-head").bodyText == "after-stream-head")
            }
        }

        @Test("sends 100 Continue before reading the body of an Expect: 100-continue request")
        func expectContinue() async throws {
            try await withTestServer(routes: LiveServerTests.standardRoutes) { server in
                let client = try await server.connect()
                defer { client.close() }
                try await client.send("POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
                let interim = try await client.readResponse(timeout: .seconds(2))
                #expect(interim.statusCode == 100)
                try await client.send("hello")
                let final = try await client.readResponse()
                #expect(final.statusCode == 200)
                #expect(final.bodyText == "hello")
            }
        }

        @Test("refuses an Expect: 100-continue body over the limit without asking for it")
        func expectContinueTooLarge() async throws {
            try await withTestServer(routes: LiveServerTests.standardRoutes) { server in
                let client = try await server.connect()
                defer { client.close() }
                try await client.send("POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n")
                let response = try await client.readResponse(timeout: .seconds(2))
                #expect(response.statusCode == 413)
                #expect(await client.isClosedByPeer(within: .seconds(2)))
            }
        }

        @Test("keeps the connection when the handler answers without reading the body")
        func unreadBodyIsDiscarded() async throws {
            try await withTestServer(routes: LiveServerTests.standardRoutes) { server in
                let client = try await server.connect()
                defer { client.close() }
                let body = String(repeating: "z", count: 900)
                let first = try await client.request("POST", "/ignore-body", body: body)
                #expect(first.bodyText == "ignored")
                let second = try await client.request("GET", "/echo/still-open")
                #expect(second.bodyText == "still-open")
            }
        }

        @Test("runs no pipelined request after one it refused")
        func nothingAfterRefusedRequest() async throws {
            let afterRuns = DoneFlag()
            let bigSize = 32 << 20
            let routes: (inout RouterBuilder) -> Void = { routes in
                routes.get("/big") { _ in Response(body: .bytes([UInt8](repeating: 0x62, count: bigSize))) }
                routes.get("/after") { _ in
                    afterRuns.set()
                    return .text("after")
                }
            }
            try await withTestServer(routes: routes) { server in
                let client = try await server.connect()
                defer { client.close() }
                // The refused request sits behind a response larger than the socket buffers.
                try await client.send(
                    "GET /big HTTP/1.1\r\nHost: h\r\n\r\nGET /a%zz HTTP/1.1\r\nHost: h\r\n\r\nGET /after HTTP/1.1\r\nHost: h\r\n\r\n"
                )
                try await Task.sleep(for: .milliseconds(200))
                let big = try await client.readResponse(timeout: .seconds(10), maxBodyBytes: bigSize)
                #expect(big.body.count == bigSize)
                let refused = try await client.readResponse()
                #expect(refused.statusCode == 400)
                #expect(refused.isConnectionClose)
                let rest = try await client.readUntilClosed(timeout: .seconds(2))
                #expect(rest.isEmpty, "sent after the 400: \(String(decoding: rest.prefix(80), as: UTF8.self))")
                #expect(!afterRuns.value, "the server ran a request it had already decided not to serve")
            }
        }

        @Test("lets the client read the 413 for a body it is still sending")
        func oversizedBodyInFlight() async throws {
            try await withTestServer(routes: LiveServerTests.standardRoutes) { server in
                let client = try await server.connect()
                defer { client.close() }
                await client.sendIgnoringErrors(Array("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 4194304\r\n\r\n".utf8))
                let block = [UInt8](repeating: 0x61, count: 64 * 1024)
                for _ in 0..<64 {
                    guard await client.sendIgnoringErrors(block, timeout: .milliseconds(500)) else { break }
                }
                let response = try await client.readResponse(timeout: .seconds(3))
                #expect(response.statusCode == 413)
                #expect(await client.isClosedByPeer(within: .seconds(3)))
            }
        }

        @Test("applies a route's own body limit instead of the server default")
        func perRouteBodyLimit() async throws {
            try await withTestServer(routes: LiveServerTests.standardRoutes) { server in
                let client = try await server.connect()
                defer { client.close() }
                let allowed = try await client.request("POST", "/upload-small", body: String(repeating: "a", count: 3000))
                #expect(allowed.statusCode == 200)
                #expect(allowed.bodyText == "3000")
                let tooLarge = try await client.request("POST", "/upload-small", body: String(repeating: "a", count: 5000))
                #expect(tooLarge.statusCode == 413)

                let other = try await server.connect()
                defer { other.close() }
                let overDefault = try await other.request("POST", "/echo", body: String(repeating: "a", count: 2000))
                #expect(overDefault.statusCode == 413)
            }
        }
    }

    @Suite("Responses")
    struct Responses {
        @Test("answers 404 for unknown paths and 405 with Allow for known ones, keeping the connection")
        func notFoundAndMethodNotAllowed() async throws {
            try await withTestServer(routes: LiveServerTests.standardRoutes) { server in
                let client = try await server.connect()
                defer { client.close() }
                let notFound = try await client.request("GET", "/nothing")
                #expect(notFound.statusCode == 404)
                let notAllowed = try await client.request("DELETE", "/things")
                #expect(notAllowed.statusCode == 405)
                #expect(notAllowed.header("Allow") == "GET, HEAD, POST")
                #expect(try await client.request("GET", "/things").bodyText == "list")
            }
        }

        @Test("renders errors as problem+json under /api/ and as HTML elsewhere")
        func errorFormats() async throws {
            try await withTestServer(routes: LiveServerTests.standardRoutes) { server in
                let client = try await server.connect()
                defer { client.close() }
                let api = try await client.request("GET", "/api/v1/nothing")
                #expect(api.statusCode == 404)
                #expect(api.header("Content-Type") == "application/problem+json")
                #expect(api.bodyText.hasPrefix("{") && api.bodyText.contains("\"status\":404"))
                let page = try await client.request("GET", "/nothing")
                #expect(page.header("Content-Type") == "text/html; charset=utf-8")
                #expect(page.bodyText.contains("<h1>404"))
                #expect(page.header("X-Request-Id") != nil)
            }
        }

        @Test("sends a streamed body chunked and complete")
        func streamedResponse() async throws {
            try await withTestServer(routes: LiveServerTests.standardRoutes) { server in
                let client = try await server.connect()
                defer { client.close() }
                let response = try await client.request("GET", "/stream")
                #expect(response.statusCode == 200)
                #expect(response.header("Transfer-Encoding") == "chunked")
                #expect(response.header("Content-Length") == nil)
                #expect(response.bodyText == (0..<10).map { "part \($0)\n" }.joined())
                #expect(try await client.request("GET", "/echo/next").bodyText == "next", "the connection survives a streamed response")
            }
        }

        @Test("closes the connection instead of ending the body cleanly when a stream fails halfway")
        func failingStream() async throws {
            try await withTestServer(routes: LiveServerTests.standardRoutes) { server in
                let client = try await server.connect()
                defer { client.close() }
                try await client.send("GET /failing-stream HTTP/1.1\r\nHost: h\r\n\r\n")
                let head = try await client.readResponseHead()
                #expect(head.statusCode == 200)
                #expect(try await client.readChunk() == Array("partial".utf8))
                await #expect(throws: HTTPTestClientError.self, "a last-chunk would tell the client the body is complete") {
                    _ = try await client.readChunk()
                }
            }
        }

        @Test("echoes a well-formed client X-Request-Id and replaces a malformed one")
        func requestID() async throws {
            try await withTestServer(routes: LiveServerTests.standardRoutes) { server in
                let client = try await server.connect()
                defer { client.close() }
                let echoed = try await client.request("GET", "/", headers: ["X-Request-Id: trace-abc.123"])
                #expect(echoed.header("X-Request-Id") == "trace-abc.123")
                let replaced = try await client.request("GET", "/", headers: ["X-Request-Id: has spaces"])
                let generated = try #require(replaced.header("X-Request-Id"))
                #expect(generated != "has spaces" && !generated.isEmpty)
                let plain = try await client.request("GET", "/")
                #expect(plain.header("X-Request-Id") != generated, "generated ids are unique")
            }
        }

        @Test("routes an absolute-form target by its path")
        func absoluteFormTarget() async throws {
            try await withTestServer(routes: LiveServerTests.standardRoutes) { server in
                let client = try await server.connect()
                defer { client.close() }
                let response = try await client.request("GET", "http://example.com/echo/absolute?x=1")
                #expect(response.bodyText == "absolute")
            }
        }

        @Test("streams to an HTTP/1.0 client by closing the connection at the end")
        func streamedResponseHTTP10() async throws {
            try await withTestServer(routes: LiveServerTests.standardRoutes) { server in
                let client = try await server.connect()
                defer { client.close() }
                try await client.send("GET /stream HTTP/1.0\r\n\r\n")
                let response = try await client.readResponse()
                #expect(response.header("Transfer-Encoding") == nil)
                #expect(response.bodyText == (0..<10).map { "part \($0)\n" }.joined())
            }
        }

        @Test("delivers server-sent events as they are produced")
        func serverSentEvents() async throws {
            let secondEventAllowed = DoneFlag()
            let routes: (inout RouterBuilder) -> Void = { routes in
                routes.get("/events") { _ in
                    Response.eventStream { events in
                        try await events.send(data: "first", event: "greeting", id: "1")
                        // Only continue once the client has seen the first event: proves it is not buffered.
                        let deadline = ContinuousClock.now + .seconds(5)
                        while !secondEventAllowed.value && ContinuousClock.now < deadline {
                            try await Task.sleep(for: .milliseconds(5))
                        }
                        try await events.send(data: "multi\nline")
                        try await events.sendComment("bye")
                    }
                }
            }
            try await withTestServer(routes: routes) { server in
                let client = try await server.connect()
                defer { client.close() }
                try await client.send("GET /events HTTP/1.1\r\nHost: h\r\nAccept: text/event-stream\r\n\r\n")
                let head = try await client.readResponseHead()
                #expect(head.statusCode == 200)
                #expect(head.header("Content-Type") == "text/event-stream")
                #expect(head.header("Cache-Control") == "no-cache")
                #expect(head.header("Transfer-Encoding") == "chunked")
                let first = try #require(try await client.readChunk(timeout: .seconds(2)))
                #expect(String(decoding: first, as: UTF8.self) == "event: greeting\nid: 1\ndata: first\n\n")
                secondEventAllowed.set()
                var rest: [UInt8] = []
                while let chunk = try await client.readChunk() { rest += chunk }
                #expect(String(decoding: rest, as: UTF8.self) == "data: multi\ndata: line\n\n: bye\n\n")
            }
        }
    }
}
