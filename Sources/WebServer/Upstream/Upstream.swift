/// Requests to upstream HTTP/1.1 servers (model replicas) made on the event loop that handles the calling request:
/// no thread hop out and back, kept-alive connections pooled per loop and `host:port`, a deadline per request. Only
/// IPv4 addresses and plain HTTP. Call ``send(host:port:method:path:headers:body:timeout:maxBodyBytes:)`` from a
/// request handler; elsewhere it throws ``UpstreamError/Kind/notOnEventLoop``.
public enum Upstream {
    /// Idle connections kept per loop and `host:port`.
    static let maximumIdlePerHost = 64

    /// Whether the caller runs on an event loop, where ``send(host:port:method:path:headers:body:timeout:maxBodyBytes:)`` works.
    public static var isAvailable: Bool { EventLoop.current != nil }

    /// Sends one request and returns the whole answer. A pooled connection that turns out closed is replaced once.
    /// - Throws: ``UpstreamError``: `unreachable` (no connection, or it broke before any answer byte), `timedOut`,
    ///   `badResponse`, `notOnEventLoop`.
    public static func send(
        host: String, port: Int, method: String, path: String, headers: [(name: String, value: String)], body: [UInt8], timeout: Duration,
        maxBodyBytes: Int = 64 << 20
    ) async throws -> UpstreamResponse {
        guard let loop = EventLoop.current else { throw UpstreamError(kind: .notOnEventLoop, message: "not on an event loop") }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        let request = Array((head + "\r\n").utf8) + body
        let key = "\(host):\(port)"
        let deadline = ContinuousClock.now + timeout
        for attempt in 0..<2 {
            let pooled = attempt == 0 ? take(key, from: loop) : nil
            let connection = try pooled ?? UpstreamConnection(host: host, port: port, key: key, loop: loop)
            do {
                return try await withCheckedThrowingContinuation { continuation in
                    connection.start(request, deadline: deadline, maxBodyBytes: maxBodyBytes, continuation: continuation)
                }
            } catch let error as UpstreamError where error.kind == .unreachable && pooled != nil {
                continue  // the server had closed the kept-alive connection: once more on a new one
            }
        }
        throw UpstreamError(kind: .unreachable, message: "no connection to \(key)")
    }

    /// An idle connection to `key`, if the loop has one.
    private static func take(_ key: String, from loop: EventLoop) -> UpstreamConnection? {
        while let connection = loop.idleUpstreams[key]?.popLast() {
            if connection.isIdle { return connection }
        }
        return nil
    }

    /// Keeps an idle connection for the next request (closing it when the pool is full).
    static func park(_ connection: UpstreamConnection, on loop: EventLoop) {
        if loop.idleUpstreams[connection.key, default: []].count >= maximumIdlePerHost {
            connection.close()
        } else {
            loop.idleUpstreams[connection.key, default: []].append(connection)
        }
    }

    /// Forgets a closed connection.
    static func unpark(_ connection: UpstreamConnection, from loop: EventLoop) {
        loop.idleUpstreams[connection.key]?.removeAll { $0 === connection }
    }
}
