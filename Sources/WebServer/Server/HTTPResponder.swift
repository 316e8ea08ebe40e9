/// What the server calls for each request. The ``Router`` is the usual implementation.
public protocol HTTPResponder: Sendable {
    /// Produces the response. Errors must already be turned into responses; this cannot throw.
    func respond(to request: Request) async -> Response

    /// The body limit for a request, when it differs from ``HTTPServerLimits/maxBodySize`` (for upload routes).
    /// Called on the event loop right after the head is parsed; must be cheap and must not block.
    func maxBodySize(for head: HTTPRequestHead) -> Int?
}

extension HTTPResponder {
    /// No per-route override.
    public func maxBodySize(for head: HTTPRequestHead) -> Int? { nil }
}
