import HTTPTypes
import TestSupport
import Testing
import WebServer

extension LiveServerTests {
    @Suite("Limits and deadlines")
    struct LimitsAndDeadlines {
        /// Routes that accept anything and read the whole body, so the parser, not a 404, decides the answer.
        static func acceptEverything(_ routes: inout RouterBuilder) {
            for method in [HTTPRequest.Method.get, .post, .put, .options] {
                routes.add(method, "/**") { request in
                    .text("ok \(try await request.body.collect(upTo: 1 << 20).count)")
                }
            }
        }

        @Test("answers each bad request with its status and closes the connection", arguments: BadRequestCase.all)
        func badRequest(_ bad: BadRequestCase) async throws {
            let configuration = TestServer.makeConfiguration(eventLoops: 1)
            try await withTestServer(configuration: configuration, routes: Self.acceptEverything) { server in
                let client = try await server.connect()
                defer { client.close() }
                await client.sendIgnoringErrors(bad.bytes)
                // Generous bounds: 62 cases run in parallel with the other suites (a fresh-clone run timed out at 3 s).
                let response = try await client.readResponse(timeout: .seconds(15))
                #expect(response.statusCode == bad.status)
                #expect(response.isConnectionClose)
                #expect(await client.isClosedByPeer(within: .seconds(10)))
            }
        }

        @Test("cuts off a client that trickles its header past the header deadline")
        func slowLoris() async throws {
            var limits = TestServer.smallLimits
            limits.headerReadTimeout = .seconds(1)
            try await withTestServer(configuration: TestServer.makeConfiguration(limits: limits), routes: LiveServerTests.standardRoutes) { server in
                let client = try await server.connect()
                defer { client.close() }
                let start = ContinuousClock.now
                let received = try await Self.trickle(client, first: "GET / HTTP/1.1\r\n", for: .seconds(4))
                let elapsed = ContinuousClock.now - start
                #expect(elapsed >= .milliseconds(900), "cut off before the deadline: \(elapsed)")
                #expect(elapsed < .seconds(3), "not cut off in time: \(elapsed)")
                if !received.isEmpty {
                    #expect(String(decoding: received.prefix(12), as: UTF8.self) == "HTTP/1.1 408")
                }
                #expect(await client.isClosedByPeer(within: .seconds(2)))
            }
        }

        @Test("applies the header deadline to a pipelined request that follows a complete one")
        func slowLorisBehindPipelinedRequest() async throws {
            var limits = TestServer.smallLimits
            limits.headerReadTimeout = .seconds(1)
            try await withTestServer(configuration: TestServer.makeConfiguration(limits: limits), routes: LiveServerTests.standardRoutes) { server in
                let client = try await server.connect()
                defer { client.close() }
                try await client.send("GET /echo/first HTTP/1.1\r\nHost: h\r\n\r\nGET /echo/second HTTP/1.1\r\n")
                let first = try await client.readResponse()
                #expect(first.bodyText == "first")
                let start = ContinuousClock.now
                let received = try await Self.trickle(client, first: "", for: .seconds(4))
                let elapsed = ContinuousClock.now - start
                #expect(elapsed < .seconds(3), "not cut off in time: \(elapsed)")
                if !received.isEmpty {
                    #expect(String(decoding: received.prefix(12), as: UTF8.self) == "HTTP/1.1 408")
                }
            }
        }

        /// Sends `first`, then a header line every 200 ms until the server answers or closes, or `duration` passes.
        /// - Returns: what the server sent (empty when it just closed).
        static func trickle(_ client: HTTPTestClient, first: String, for duration: Duration) async throws -> [UInt8] {
            let deadline = ContinuousClock.now + duration
            if !first.isEmpty { await client.sendIgnoringErrors(Array(first.utf8)) }
            var line = 0
            while ContinuousClock.now < deadline {
                do {
                    return try await client.receive(timeout: .milliseconds(200))
                } catch HTTPTestClientError.timedOut {
                    line += 1
                    await client.sendIgnoringErrors(Array("X-Slow-\(line): v\r\n".utf8))
                }
            }
            Issue.record("the server neither answered nor closed within \(duration)")
            return []
        }

        @Test("answers 408 when a request body stops arriving")
        func bodyReadTimeout() async throws {
            var limits = TestServer.smallLimits
            limits.bodyReadTimeout = .seconds(1)
            try await withTestServer(configuration: TestServer.makeConfiguration(limits: limits), routes: LiveServerTests.standardRoutes) { server in
                let client = try await server.connect()
                defer { client.close() }
                let start = ContinuousClock.now
                try await client.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nonly ten b")
                let response = try await client.readResponse(timeout: .seconds(4))
                #expect(response.statusCode == 408)
                #expect(ContinuousClock.now - start >= .milliseconds(900))
                #expect(await client.isClosedByPeer(within: .seconds(2)))
            }
        }

        @Test("closes a kept-alive connection after the idle timeout")
        func idleTimeout() async throws {
            var limits = TestServer.smallLimits
            limits.idleTimeout = .seconds(1)
            try await withTestServer(configuration: TestServer.makeConfiguration(limits: limits), routes: LiveServerTests.standardRoutes) { server in
                let used = try await server.connect()
                defer { used.close() }
                let neverUsed = try await server.connect()
                defer { neverUsed.close() }
                #expect(try await used.request("GET", "/").statusCode == 200)
                let start = ContinuousClock.now
                // Generous upper bounds: on a loaded 2-core CI machine the idle sweep can run late; the lower bound is the point.
                #expect(await used.isClosedByPeer(within: .seconds(10)))
                let elapsed = ContinuousClock.now - start
                #expect(elapsed >= .milliseconds(700), "closed too early: \(elapsed)")
                #expect(await neverUsed.isClosedByPeer(within: .seconds(10)))
            }
        }
    }
}
