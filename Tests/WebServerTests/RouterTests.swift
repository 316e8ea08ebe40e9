import HTTPTypes
import Synchronization
import Testing

@testable import WebServer

/// Builds a request as the connection would, without a socket.
func makeRequest(
    _ method: HTTPRequest.Method,
    _ target: String,
    headerFields: HTTPFields = [:],
    body: [UInt8] = []
) throws -> Request {
    let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
    let rawPath = String(parts[0])
    let rawQuery = parts.count > 1 ? String(parts[1]) : nil
    let head = HTTPRequestHead(
        method: method,
        target: target,
        rawPath: rawPath,
        rawQuery: rawQuery,
        authority: "test",
        minorVersion: 1,
        headerFields: headerFields,
        framing: body.isEmpty ? .none : .contentLength(body.count),
        keepAlive: true,
        expectsContinue: false
    )
    let segments = try #require(PercentDecoding.pathSegments(rawPath))
    let items = try #require(rawQuery.map { PercentDecoding.queryItems($0) } ?? [])
    return Request(
        head: head,
        path: "/" + segments.joined(separator: "/"),
        pathSegments: segments,
        queryItems: items.map { QueryItem(name: $0.name, value: $0.value) },
        body: RequestBody(bytes: body),
        id: "test-request-1",
        remoteAddress: "127.0.0.1:50000",
        isSecure: false
    )
}

extension Router {
    func respond(_ method: HTTPRequest.Method, _ target: String, headerFields: HTTPFields = [:]) async throws -> Response {
        await respond(to: try makeRequest(method, target, headerFields: headerFields))
    }
}

extension Response {
    /// The body of a `.bytes` response as text (empty for streams and files).
    var bodyText: String {
        if case .bytes(let bytes) = body.storage { return String(decoding: bytes, as: UTF8.self) }
        return ""
    }
}

func buildRouter(_ routes: (inout RouterBuilder) -> Void) -> Router {
    var builder = RouterBuilder()
    routes(&builder)
    return builder.build(logger: TestServer.quietLogger)
}

/// Records what middleware and handlers saw, in order.
final class Trace: Sendable {
    private let entries = Mutex<[String]>([])
    func append(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }
}

struct TracingMiddleware: Middleware {
    let name: String
    let trace: Trace
    func handle(_ request: Request, next: RequestHandler) async throws -> Response {
        trace.append("\(name) in")
        var response = try await next(request)
        trace.append("\(name) out")
        response.headerFields.append(HTTPField(name: HTTPField.Name("X-Trace")!, value: name))
        return response
    }
}

struct RejectingMiddleware: Middleware {
    let trace: Trace
    func handle(_ request: Request, next: RequestHandler) async throws -> Response {
        trace.append("reject")
        return Response.text("go away", status: .unauthorized)
    }
}

struct ThrowingMiddleware: Middleware {
    func handle(_ request: Request, next: RequestHandler) async throws -> Response {
        throw InternalFailure(secret: "middleware-secret-token")
    }
}

/// A non-HTTP error whose text must never reach a client.
struct InternalFailure: Error, CustomStringConvertible {
    let secret: String
    var description: String { "database password is \(secret)" }
}

@Suite("Router")
struct RouterTests {
    @Test("captures named parameters, percent-decoded")
    func parameters() async throws {
        let router = buildRouter { routes in
            routes.get("/api/v1/models/:id/versions/:version") { request in
                .text("\(request.parameters["id"] ?? "-")|\(request.parameters["version"] ?? "-")|\(request.routePattern ?? "-")")
            }
        }
        let response = try await router.respond(.get, "/api/v1/models/churn%20model/versions/7")
        #expect(response.status == .ok)
        #expect(response.bodyText == "churn model|7|/api/v1/models/:id/versions/:version")
        #expect(try await router.respond(.get, "/api/v1/models/churn/versions").status == .notFound)
        #expect(try await router.respond(.get, "/api/v1/models/churn/versions/7/extra").status == .notFound)
    }

    @Test("reports the pattern of the route that matched, whatever the registration order")
    func routePatternOfMatchedRoute() async throws {
        let router = buildRouter { routes in
            routes.get("/api/v1/models/:id/versions/:version") { .text($0.routePattern ?? "-") }
            routes.get("/api/v1/models/:id") { .text($0.routePattern ?? "-") }
            routes.get("/api/v1/models") { .text($0.routePattern ?? "-") }
        }
        #expect(try await router.respond(.get, "/api/v1/models/5/versions/2").bodyText == "/api/v1/models/:id/versions/:version")
        #expect(try await router.respond(.get, "/api/v1/models/5").bodyText == "/api/v1/models/:id")
        #expect(try await router.respond(.get, "/api/v1/models").bodyText == "/api/v1/models")
    }

    @Test("* matches exactly one segment")
    func singleWildcard() async throws {
        let router = buildRouter { routes in
            routes.get("/files/*/meta") { _ in .text("meta") }
        }
        #expect(try await router.respond(.get, "/files/report.csv/meta").bodyText == "meta")
        #expect(try await router.respond(.get, "/files/a/b/meta").status == .notFound)
        #expect(try await router.respond(.get, "/files/meta").status == .notFound)
    }

    @Test("** matches the rest of the path and captures it")
    func catchAllWildcard() async throws {
        let router = buildRouter { routes in
            routes.get("/static/**") { request in .text("rest=\(request.parameters["**"] ?? "nil")") }
            routes.get("/static/special") { _ in .text("special") }
        }
        #expect(try await router.respond(.get, "/static/css/site/main.css").bodyText == "rest=css/site/main.css")
        #expect(try await router.respond(.get, "/static/x").bodyText == "rest=x")
        #expect(try await router.respond(.get, "/static/special").bodyText == "special")
        #expect(try await router.respond(.get, "/other").status == .notFound)
    }

    @Test("a literal segment beats a parameter, in either registration order")
    func literalBeatsParameter() async throws {
        for literalFirst in [true, false] {
            let router = buildRouter { routes in
                if literalFirst { routes.get("/users/me") { _ in .text("literal") } }
                routes.get("/users/:id") { request in .text("parameter \(request.parameters["id"] ?? "")") }
                if !literalFirst { routes.get("/users/me") { _ in .text("literal") } }
            }
            #expect(try await router.respond(.get, "/users/me").bodyText == "literal")
            #expect(try await router.respond(.get, "/users/42").bodyText == "parameter 42")
        }
    }

    @Test("falls back to a parameter when the literal branch leads nowhere")
    func backtracksFromLiteral() async throws {
        let router = buildRouter { routes in
            routes.get("/a/b/c") { _ in .text("literal") }
            routes.get("/a/:x/d") { request in .text("parameter \(request.parameters["x"] ?? "")") }
        }
        #expect(try await router.respond(.get, "/a/b/c").bodyText == "literal")
        #expect(try await router.respond(.get, "/a/b/d").bodyText == "parameter b")
    }

    @Test("HEAD falls back to the GET handler unless HEAD has its own")
    func headFallsBackToGet() async throws {
        let router = buildRouter { routes in
            routes.get("/page") { request in .text("get handler saw \(request.method.rawValue)") }
            routes.get("/custom") { _ in .text("get") }
            routes.add(.head, "/custom") { _ in Response(status: .noContent) }
        }
        let head = try await router.respond(.head, "/page")
        #expect(head.status == .ok)
        #expect(head.bodyText == "get handler saw HEAD")
        #expect(try await router.respond(.head, "/custom").status == .noContent)
    }

    @Test("answers 404 for unknown paths and 405 with Allow for known paths")
    func notFoundAndMethodNotAllowed() async throws {
        let router = buildRouter { routes in
            routes.get("/things") { _ in .text("list") }
            routes.post("/things") { _ in .text("created", status: .created) }
        }
        let notFound = try await router.respond(.get, "/nothing-here")
        #expect(notFound.status == .notFound)
        let notAllowed = try await router.respond(.delete, "/things")
        #expect(notAllowed.status == .methodNotAllowed)
        #expect(notAllowed.headerFields[.allow] == "GET, HEAD, POST")
    }

    @Test("runs middleware in the order added, first outermost")
    func middlewareOrder() async throws {
        let trace = Trace()
        let router = buildRouter { routes in
            routes.use(TracingMiddleware(name: "A", trace: trace))
            routes.use(TracingMiddleware(name: "B", trace: trace))
            routes.get("/") { _ in
                trace.append("handler")
                return .text("ok")
            }
        }
        let response = try await router.respond(.get, "/")
        #expect(trace.all == ["A in", "B in", "handler", "B out", "A out"])
        #expect(response.headerFields[values: HTTPField.Name("X-Trace")!] == ["B", "A"])
    }

    @Test("middleware can answer without calling the handler")
    func middlewareShortCircuit() async throws {
        let trace = Trace()
        let router = buildRouter { routes in
            routes.use(TracingMiddleware(name: "outer", trace: trace))
            routes.use(RejectingMiddleware(trace: trace))
            routes.get("/") { _ in
                trace.append("handler")
                return .text("ok")
            }
        }
        let response = try await router.respond(.get, "/")
        #expect(response.status == .unauthorized)
        #expect(trace.all == ["outer in", "reject", "outer out"])
    }

    @Test("middleware also runs for 404s, so it sees every request")
    func middlewareSeesNotFound() async throws {
        let trace = Trace()
        let router = buildRouter { routes in
            routes.use(TracingMiddleware(name: "M", trace: trace))
        }
        #expect(try await router.respond(.get, "/missing").status == .notFound)
        #expect(trace.all == ["M in", "M out"])
    }

    @Test("turns a thrown non-HTTP error into a 500 that does not leak its message", arguments: ["/page", "/api/v1/thing"])
    func internalErrorIsRedacted(path: String) async throws {
        let router = buildRouter { routes in
            routes.get(path) { _ in throw InternalFailure(secret: "hunter2-db-password") }
        }
        let response = try await router.respond(.get, path)
        #expect(response.status == .internalServerError)
        #expect(!response.bodyText.contains("hunter2"))
        #expect(!response.bodyText.contains("database"))
        #expect(response.bodyText.contains("test-request-1"), "the request id helps support find the log entry")
        #expect(response.headerFields[.requestID] == "test-request-1")
    }

    @Test("turns an error thrown by middleware into a 500 too")
    func middlewareErrorIsRedacted() async throws {
        let router = buildRouter { routes in
            routes.use(ThrowingMiddleware())
            routes.get("/") { _ in .text("ok") }
        }
        let response = try await router.respond(.get, "/")
        #expect(response.status == .internalServerError)
        #expect(!response.bodyText.contains("middleware-secret-token"))
    }

    @Test("renders an HTTPError with its status and public message")
    func httpErrorIsRendered() async throws {
        let router = buildRouter { routes in
            routes.get("/api/v1/models/:id") { request in
                throw HTTPError(.conflict, "Model 'churn' is being deleted; try again later")
            }
        }
        let response = try await router.respond(.get, "/api/v1/models/churn")
        #expect(response.status == .conflict)
        #expect(response.headerFields[.contentType] == "application/problem+json")
        #expect(response.bodyText.contains("\"status\":409"))
        #expect(response.bodyText.contains("Model 'churn' is being deleted; try again later"))
    }

    @Test("uses problem+json under /api/ and HTML elsewhere")
    func errorFormatByPath() async throws {
        let router = buildRouter { _ in }
        let api = try await router.respond(.get, "/api/v1/missing")
        #expect(api.headerFields[.contentType] == "application/problem+json")
        #expect(api.bodyText.contains("\"status\":404"))
        let page = try await router.respond(.get, "/missing")
        #expect(page.headerFields[.contentType] == "text/html; charset=utf-8")
        #expect(page.bodyText.contains("<h1>404"))
        let escaped = try await router.respond(.get, "/%3Cscript%3E")
        #expect(!escaped.bodyText.contains("<script>"), "the path is echoed in the message, so it must be escaped")
    }

    @Test("reports each route's body limit to the server")
    func perRouteBodyLimit() throws {
        let router = buildRouter { routes in
            routes.post("/upload", maxBodySize: 50 << 20) { _ in .text("ok") }
            routes.put("/upload/:name", maxBodySize: 1 << 20) { _ in .text("ok") }
            routes.post("/form") { _ in .text("ok") }
        }
        #expect(router.maxBodySize(for: try makeRequest(.post, "/upload").head) == 50 << 20)
        #expect(router.maxBodySize(for: try makeRequest(.put, "/upload/x%20y").head) == 1 << 20)
        #expect(router.maxBodySize(for: try makeRequest(.post, "/form").head) == nil)
        #expect(router.maxBodySize(for: try makeRequest(.get, "/upload").head) == nil)
        #expect(router.maxBodySize(for: try makeRequest(.post, "/nowhere").head) == nil)
    }

    @Test("echoes the request id on every response and tells the observer")
    func requestIDAndObserver() async throws {
        final class Observer: RequestObserver {
            let seen = Mutex<[Int]>([])
            func requestFinished(_ request: Request, status: HTTPResponse.Status, duration: Duration) {
                seen.withLock { $0.append(status.code) }
            }
        }
        let observer = Observer()
        var builder = RouterBuilder()
        builder.get("/") { _ in .text("ok") }
        let router = builder.build(observers: [observer], logger: TestServer.quietLogger)
        #expect(try await router.respond(.get, "/").headerFields[.requestID] == "test-request-1")
        #expect(try await router.respond(.get, "/missing").headerFields[.requestID] == "test-request-1")
        #expect(observer.seen.withLock { $0 } == [200, 404])
    }
}
