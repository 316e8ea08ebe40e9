import FalajCrypto
import Foundation
import HTTPClient
import HTTPTypes
import Testing
import WebServer

@Suite("HTTPClient against a local server")
struct HTTPClientTests {
    let client = HTTPClient(configuration: .init(connectTimeout: .seconds(5), timeout: .seconds(30)))

    @Test("sends method and headers and reads status, headers and body")
    func methodHeadersAndBody() async throws {
        try await withLocalServer(routes: { routes in
            routes.add(.delete, "/things/:id") { request in
                let value = request.headerFields[HTTPField.Name("X-Probe")!] ?? "-"
                var response = Response.text("deleted \(request.parameters["id"] ?? "?") \(value)", status: .accepted)
                response.headerFields[HTTPField.Name("X-Answer")!] = "42"
                return response
            }
        }) { base in
            let response = try await client.execute(HTTPClientRequest(method: "DELETE", url: "\(base)/things/7", headers: [("X-Probe", "p1")]))
            #expect(response.status == 202)
            #expect(response.head["x-answer"] == "42")
            #expect(String(decoding: response.body, as: UTF8.self) == "deleted 7 p1")
        }
    }

    @Test("reuses a kept-alive connection for requests to the same server")
    func keepsConnectionsAlive() async throws {
        let single = HTTPClient(configuration: .init(connectTimeout: .seconds(5), timeout: .seconds(30), threadCount: 1))
        try await withLocalServer(routes: { routes in
            routes.post("/echo") { request in .text(request.remoteAddress) }
        }) { base in
            var remotes: Set<String> = []
            for index in 0..<20 {
                let response = try await single.execute(HTTPClientRequest(method: "POST", url: "\(base)/echo", body: .bytes(Array("\(index)".utf8))))
                #expect(response.status == 200)
                remotes.insert(String(decoding: response.body, as: UTF8.self))
            }
            #expect(remotes.count == 1, "one connection for twenty requests: \(remotes)")
        }
    }

    @Test("streams an 8 MB upload of unknown length (chunked) and a known-length one")
    func streamingUpload() async throws {
        let bytes = patternBytes(8 << 20)
        try await withLocalServer(routes: { routes in
            routes.put("/upload", maxBodySize: 64 << 20) { request in
                let hasher = SHA256.Hasher()
                var count = 0
                for try await chunk in request.body {
                    hasher.update(chunk)
                    count += chunk.count
                }
                return .text("\(count) \(Hex.encode(hasher.finalize()))")
            }
        }) { base in
            let expected = "\(bytes.count) \(SHA256.hexString(bytes))"
            for length in [nil, Int64(bytes.count)] {
                let request = HTTPClientRequest(method: "PUT", url: "\(base)/upload", body: .stream(ChunkedSource(bytes: bytes), length: length))
                let response = try await client.execute(request)
                #expect(response.status == 200)
                #expect(String(decoding: response.body, as: UTF8.self) == expected)
            }
        }
    }

    @Test("streams a 20 MB download through a 4 KB buffer to a slow consumer, in order")
    func streamingDownload() async throws {
        let bytes = patternBytes(20 << 20, seed: 3)
        try await withLocalServer(routes: { routes in
            routes.get("/big") { _ in
                Response(body: .stream { writer in
                    var offset = 0
                    while offset < bytes.count {
                        let end = min(offset + 300_000, bytes.count)
                        try await writer.write(Array(bytes[offset..<end]))
                        offset = end
                    }
                })
            }
        }) { base in
            let small = HTTPClient(configuration: .init(responseBufferBytes: 4096, threadCount: 1))
            let digest = try await small.execute(HTTPClientRequest(url: "\(base)/big")) { head, body in
                #expect(head.status == 200)
                let hasher = SHA256.Hasher()
                var chunks = 0
                for try await chunk in body {
                    hasher.update(chunk)
                    chunks += 1
                    if chunks % 200 == 0 { try await Task.sleep(for: .milliseconds(1)) }
                }
                return hasher.finalize()
            }
            #expect(digest == SHA256.hash(bytes))
        }
    }

    @Test("a handler that stops reading early ends the exchange instead of draining the body")
    func earlyReturnAbortsTransfer() async throws {
        try await withLocalServer(routes: { routes in
            routes.get("/endless") { _ in
                Response(body: .stream { writer in
                    let chunk = [UInt8](repeating: 1, count: 65_536)
                    while true { try await writer.write(chunk) }
                })
            }
        }) { base in
            // The body never ends: if returning early did not abort the transfer, the request would run into its
            // timeout and `execute` would throw `.timedOut` (no wall-clock assertion, which a busy machine would break).
            var request = HTTPClientRequest(url: "\(base)/endless")
            request.timeout = .seconds(120)
            let first = try await client.execute(request) { _, body in
                var iterator = body.makeAsyncIterator()
                return try await iterator.next()?.count ?? 0
            }
            #expect(first > 0)
        }
    }

    @Test("does not follow redirects")
    func redirectsAreReturned() async throws {
        try await withLocalServer(routes: { routes in
            routes.get("/old") { _ in
                var response = Response(status: .found)
                response.headerFields[.location] = "/new"
                return response
            }
            routes.get("/new") { _ in .text("moved") }
        }) { base in
            let response = try await client.execute(HTTPClientRequest(url: "\(base)/old"))
            #expect(response.status == 302)
            #expect(response.head["location"] == "/new")
        }
    }

    @Test("HEAD returns headers without a body")
    func headRequest() async throws {
        try await withLocalServer(routes: { routes in
            routes.add(.head, "/thing") { _ in
                var response = Response(status: .ok)
                response.headerFields[HTTPField.Name("X-Size")!] = "12"
                return response
            }
        }) { base in
            let response = try await client.execute(HTTPClientRequest(method: "HEAD", url: "\(base)/thing"))
            #expect(response.status == 200)
            #expect(response.head["x-size"] == "12")
            #expect(response.body.isEmpty)
        }
    }

    @Test("the total timeout ends a slow exchange with .timedOut")
    func totalTimeout() async throws {
        try await withLocalServer(routes: { routes in
            routes.get("/slow") { _ in
                try await Task.sleep(for: .seconds(3))
                return .text("late")
            }
        }) { base in
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.execute(HTTPClientRequest(url: "\(base)/slow", timeout: .milliseconds(300)))
            }
            #expect(error?.code == .timedOut)
        }
    }

    @Test("a closed port fails with .connectFailed and curl's message")
    func connectFailure() async throws {
        let port = 1  // privileged, and nothing listens there on a test machine's loopback
        let error = await #expect(throws: HTTPClientError.self) {
            try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/"))
        }
        #expect(error?.code == .connectFailed)
        #expect(error?.message.isEmpty == false)
    }

    @Test("an error thrown by the upload source is rethrown as is")
    func sourceErrorPropagates() async throws {
        try await withLocalServer(routes: { routes in
            routes.put("/upload", maxBodySize: 64 << 20) { request in
                _ = try await request.body.collect(upTo: 64 << 20)
                return .text("ok")
            }
        }) { base in
            let source = ChunkedSource(bytes: patternBytes(300_000), failure: SourceFailure())
            await #expect(throws: SourceFailure.self) {
                try await client.execute(HTTPClientRequest(method: "PUT", url: "\(base)/upload", body: .stream(source, length: nil)))
            }
        }
    }

    @Test("header values with line breaks and non-HTTP URLs are refused before anything is sent")
    func invalidRequests() async throws {
        let header = await #expect(throws: HTTPClientError.self) {
            try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:1/", headers: [("X-A", "b\r\nX-Injected: 1")]))
        }
        #expect(header?.code == .invalidRequest)
        let scheme = await #expect(throws: HTTPClientError.self) {
            try await client.execute(HTTPClientRequest(url: "file:///etc/passwd"))
        }
        #expect(scheme?.code == .invalidRequest)
    }

    @Test("verifies TLS by default, and trusts a server when given its CA file")
    func tlsVerification() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("falaj-httpclient-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tls = try SelfSignedCertificate.generate(commonName: "localhost", directory: directory)
        try await withLocalServer(tls: tls, routes: { routes in
            routes.get("/secure") { _ in .text("secret") }
        }) { base in
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.execute(HTTPClientRequest(url: "\(base)/secure"))
            }
            #expect(error?.code == .tlsFailed)
            let trusting = HTTPClient(configuration: .init(caFile: tls.certificatePath))
            let response = try await trusting.execute(HTTPClientRequest(url: "\(base)/secure"))
            #expect(String(decoding: response.body, as: UTF8.self) == "secret")
        }
    }
}
