public import HTTPTypes
public import Logging

/// A request handler.
public typealias RequestHandler = @Sendable (Request) async throws -> Response

/// Code that runs around handlers (authentication, CSRF, headers). Call `next` to continue, or return early.
public protocol Middleware: Sendable {
    /// Handles `request`, usually by calling `next` and adjusting the result.
    func handle(_ request: Request, next: RequestHandler) async throws -> Response
}

/// Routes requests by method and path pattern, runs middleware, and turns every thrown error into a response.
///
/// Build it with ``RouterBuilder``; once built it is immutable and safe to share. Patterns are
/// `/literal/:parameter/*/**`: `:name` captures one segment, `*` matches one segment, `**` (last) matches
/// the rest and captures it as `parameters["**"]`. Literal segments win over parameters, which win over wildcards.
/// An unknown path is 404; a known path with another method is 405 with `Allow`. HEAD uses the GET handler.
public struct Router: HTTPResponder {
    let root: RouteNode
    let middleware: [any Middleware]
    let errorRenderer: any ErrorRenderer
    let observers: [any RequestObserver]
    let logger: Logger

    /// Matches, runs middleware and handler, renders errors, adds `X-Request-Id`, reports to the observer.
    public func respond(to request: Request) async -> Response {
        let start = ContinuousClock.now
        var request = request
        let match = root.match(request.pathSegments[...])
        request.routePattern = match?.node.pattern
        let route = match.flatMap { $0.node.route(for: request.method) }
        if let match { request.parameters = match.parameters }
        let terminal: RequestHandler = { [errorRenderer] request in
            do {
                guard let match else { throw HTTPError(.notFound, "No page or endpoint at \(request.path)") }
                guard let route else {
                    let allowed = match.node.allowedMethods.map(\.rawValue).joined(separator: ", ")
                    throw HTTPError(.methodNotAllowed, "\(request.method.rawValue) is not allowed here", headerFields: [.allow: allowed])
                }
                return try await route.handler(request)
            } catch {
                return errorRenderer.response(for: error, request: request)
            }
        }
        var chain = terminal
        for item in middleware.reversed() {
            let next = chain
            chain = { request in try await item.handle(request, next: next) }
        }
        var response: Response
        do {
            response = try await chain(request)
        } catch {
            response = errorRenderer.response(for: error, request: request)
        }
        response.headerFields[HTTPField.Name.requestID] = request.id
        let duration = ContinuousClock.now - start
        for observer in observers { observer.requestFinished(request, status: response.status, duration: duration) }
        return response
    }

    /// Every route as method + pattern, sorted by pattern (for documentation checks such as the OpenAPI test).
    public var routeTable: [(method: HTTPRequest.Method, pattern: String)] { root.allRoutes() }

    /// The per-route body limit, if the matching route set one.
    public func maxBodySize(for head: HTTPRequestHead) -> Int? {
        guard let segments = PercentDecoding.pathSegments(head.rawPath), let match = root.match(segments[...]) else { return nil }
        return match.node.route(for: head.method)?.maxBodySize
    }
}

/// Collects routes and middleware, then builds an immutable ``Router``.
public struct RouterBuilder {
    private var root = RouteNode(pattern: "/")
    private var middleware: [any Middleware] = []

    /// An empty builder.
    public init() {}

    /// Adds a route. A repeated method + pattern replaces the earlier handler.
    /// - Parameters:
    ///   - maxBodySize: a body limit for this route instead of the server default (uploads).
    public mutating func add(_ method: HTTPRequest.Method, _ pattern: String, maxBodySize: Int? = nil, _ handler: @escaping RequestHandler) {
        root.insert(pattern: pattern, method: method, route: Route(handler: handler, maxBodySize: maxBodySize))
    }

    /// Adds a GET route (which also answers HEAD).
    public mutating func get(_ pattern: String, _ handler: @escaping RequestHandler) { add(.get, pattern, handler) }
    /// Adds a POST route.
    public mutating func post(_ pattern: String, maxBodySize: Int? = nil, _ handler: @escaping RequestHandler) {
        add(.post, pattern, maxBodySize: maxBodySize, handler)
    }
    /// Adds a PUT route.
    public mutating func put(_ pattern: String, maxBodySize: Int? = nil, _ handler: @escaping RequestHandler) {
        add(.put, pattern, maxBodySize: maxBodySize, handler)
    }
    /// Adds a PATCH route.
    public mutating func patch(_ pattern: String, _ handler: @escaping RequestHandler) { add(.patch, pattern, handler) }
    /// Adds a DELETE route.
    public mutating func delete(_ pattern: String, _ handler: @escaping RequestHandler) { add(.delete, pattern, handler) }

    /// Appends middleware; the first added runs outermost.
    public mutating func use(_ middleware: some Middleware) { self.middleware.append(middleware) }

    /// Builds the router. Build once and stop using the builder: later `add` calls would reach the built router's
    /// routes too, since they share the route tree's storage.
    /// - Parameters:
    ///   - errorRenderer: turns errors into responses (default: ``DefaultErrorRenderer`` logging to `logger`:
    ///     problem+json for `/api/`, plain HTML elsewhere).
    ///   - observers: told about every finished request (metrics, access logs), in order.
    public func build(errorRenderer: (any ErrorRenderer)? = nil, observers: [any RequestObserver] = [], logger: Logger) -> Router {
        Router(
            root: root,
            middleware: middleware,
            errorRenderer: errorRenderer ?? DefaultErrorRenderer(logger: logger),
            observers: observers,
            logger: logger
        )
    }
}

/// Told about each finished request, after the response is built (metrics, access logs).
public protocol RequestObserver: Sendable {
    /// Called once per request with the final status and the handler's duration. Must not block.
    func requestFinished(_ request: Request, status: HTTPResponse.Status, duration: Duration)
}

extension HTTPField.Name {
    /// `X-Request-Id`, echoed on every response.
    public static let requestID = HTTPField.Name("X-Request-Id")!
}
