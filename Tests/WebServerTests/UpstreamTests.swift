import Foundation
import HTTPTypes
import TestSupport
import Testing
@testable import WebServer

/// `Upstream`: requests from a handler to another server on the handler's own event loop. A front server's route
/// calls an upstream server and reports what came back, so every call really runs on an event loop.
@Suite(.serialized, .timeLimit(.minutes(2))) struct UpstreamTests {
    /// One event loop, bodies up to 1 MiB.
    static let configuration: HTTPServerConfiguration = {
        var limits = HTTPServerLimits()
        limits.maxBodySize = 1 << 20
        return TestServer.makeConfiguration(limits: limits, eventLoops: 1)
    }()

    /// An upstream server: `/id` answers its request id (which names the connection), `/chunked` streams its body,
    /// `/slow` takes 2 s, `/close` answers with `Connection: close`.
    static func upstream(_ body: (TestServer) async throws -> Void) async throws {
        try await withTestServer(
            configuration: configuration,
            routes: { routes in
                routes.post("/id") { request in
                    let sent = try await request.body.collect(upTo: 1 << 20)
                    return Response.text("\(request.id) \(sent.count)")
                }
                routes.get("/chunked") { _ in
                    Response(
                        headerFields: [.contentType: "text/plain"],
                        body: .stream { writer in
                            for part in ["alpha ", "beta ", "gamma"] { try await writer.write(Array(part.utf8)) }
                        })
                }
                routes.get("/slow") { _ in
                    try await Task.sleep(for: .seconds(2))
                    return Response.text("late")
                }
                routes.get("/close") { _ in Response(headerFields: [.connection: "close"], body: .bytes(Array("bye".utf8))) }
            }, body)
    }

    /// A front server whose `/call?port=P&path=X&n=N&timeout_ms=T` makes N upstream calls and answers one line per call:
    /// the status and body, or the error's kind.
    static func front(_ body: (TestServer) async throws -> Void) async throws {
        try await withTestServer(
            configuration: configuration,
            routes: { routes in
                routes.get("/call") { request in
                    let port = Int(request.query("port") ?? "") ?? 0
                    let path = request.query("path") ?? "/id"
                    let timeout = Duration.milliseconds(Int(request.query("timeout_ms") ?? "") ?? 5_000)
                    var lines: [String] = []
                    for _ in 0..<(Int(request.query("n") ?? "") ?? 1) {
                        do {
                            let answer = try await Upstream.send(
                                host: "127.0.0.1", port: port, method: path == "/id" ? "POST" : "GET", path: path, headers: [("Content-Type", "text/plain")],
                                body: path == "/id" ? Array("twelve bytes".utf8) : [], timeout: timeout)
                            lines.append("\(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
                        } catch let error as UpstreamError {
                            lines.append("error \(error.kind)")
                        }
                    }
                    return Response.text(lines.joined(separator: "\n"))
                }
            }, body)
    }

    static func call(_ front: TestServer, _ query: String) async throws -> [String] {
        let client = try await front.connect()
        client.defaultTimeout = .seconds(60)  // a busy test run may start the servers' loops late
        let response = try await client.request("GET", "/call?" + query)
        #expect(response.statusCode == 200)
        return String(decoding: response.body, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test func keptAliveConnectionsAreReusedAndBodiesArriveWhole() async throws {
        try await Self.upstream { upstream in
            try await Self.front { front in
                let lines = try await Self.call(front, "port=\(upstream.port)&path=/id&n=20")
                #expect(lines.count == 20 && lines.allSatisfy { $0.hasPrefix("200 ") && $0.hasSuffix(" 12") }, "\(lines)")
                // Request ids are <server>-<connection>-<sequence>: one connection carried all twenty.
                let connections = Set(lines.map { $0.split(separator: " ")[1].split(separator: "-").dropLast().joined(separator: "-") })
                #expect(connections.count == 1, "\(lines)")

                let chunked = try await Self.call(front, "port=\(upstream.port)&path=/chunked&n=2")
                #expect(chunked == ["200 alpha beta gamma", "200 alpha beta gamma"])
                let closing = try await Self.call(front, "port=\(upstream.port)&path=/close&n=3")
                #expect(closing == ["200 bye", "200 bye", "200 bye"], "a closed connection is never reused")
            }
        }
    }

    @Test func theParserReadsLengthsChunksAndConnectionHeaders() throws {
        func parse(_ text: String, atEnd: Bool = false) throws -> (response: UpstreamResponse, keepAlive: Bool)? {
            try UpstreamResponseParser.parse(Array(text.utf8), atEnd: atEnd, maxBodyBytes: 1_000)
        }
        let plain = try #require(try parse("HTTP/1.1 200 OK\r\ncontent-LENGTH: 5\r\nX-Falaj-Label:  yes \r\n\r\nhello"))
        #expect(plain.response.status == 200 && plain.response.body == Array("hello".utf8) && plain.keepAlive)
        #expect(plain.response.header("x-falaj-label") == "yes" && plain.response.header("X-Falaj-Value") == nil)
        #expect(try parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel") == nil, "incomplete")
        let chunked = try #require(try parse("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"))
        #expect(chunked.response.status == 201 && chunked.response.body == Array("abcde".utf8) && !chunked.keepAlive)
        let untilClose = try #require(try parse("HTTP/1.0 200 OK\r\n\r\nall of it", atEnd: true))
        #expect(untilClose.response.body == Array("all of it".utf8) && !untilClose.keepAlive)
        #expect(throws: UpstreamError.self) { _ = try parse("SMTP ready\r\n\r\n") }
        #expect(throws: UpstreamError.self) { _ = try parse("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n") }
        #expect(throws: UpstreamError.self) { _ = try parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhe", atEnd: true) }
    }

    @Test func failuresAreNamedAndNothingHangs() async throws {
        try await Self.upstream { upstream in
            try await Self.front { front in
                // The upstream answers after 2 s: "timedOut" (not "200 late") shows the 500 ms deadline ended the wait.
                #expect(try await Self.call(front, "port=\(upstream.port)&path=/slow&timeout_ms=500") == ["error timedOut"])

                // A port nobody listens on: bind one, note it, close it.
                let probe = try TestServer.start(routes: { _ in })
                let deadPort = probe.port
                await probe.stop()
                #expect(try await Self.call(front, "port=\(deadPort)&path=/id") == ["error unreachable"])
                #expect(try await Self.call(front, "port=0&path=/id") == ["error unreachable"])
            }
        }
        await #expect(throws: UpstreamError.self, "only on an event loop") {
            _ = try await Upstream.send(host: "127.0.0.1", port: 1, method: "GET", path: "/", headers: [], body: [], timeout: .seconds(1))
        }
    }
}
