public import HTTPTypes

/// A Sendable reference to a connection: its loop, fd and id. Work sent through it runs on the loop,
/// and only if the connection is still open (its fd may have been reused by a newer connection).
struct ConnectionHandle: Sendable {
    let loop: EventLoop
    let fd: Int32
    let id: UInt64

    /// Runs `body` with the connection on its loop, or `orElse` when it has closed.
    func run(_ body: @escaping @Sendable (HTTPConnection) -> Void, orElse: @escaping @Sendable () -> Void = {}) {
        let loop = self.loop
        let fd = self.fd
        let id = self.id
        loop.execute {
            if let connection = loop.connection(fd: fd, id: id), !connection.isClosed {
                body(connection)
            } else {
                orElse()
            }
        }
    }
}

/// Thrown to a body writer or reader when the client went away. An expected event, not a server fault:
/// it renders as 400 (which nobody will read) and is not logged as an unhandled error.
public struct ConnectionClosedError: HTTPResponseError, Sendable, CustomStringConvertible {
    /// 400: the request did not arrive whole.
    public var status: HTTPResponse.Status { .badRequest }
    /// A short explanation.
    public var publicMessage: String { "The connection closed before the request was complete." }
    /// A short explanation.
    public var description: String { "the client closed the connection" }
}

/// Writes a streamed response body. Each write waits while the client is slow to read (back-pressure).
public struct ResponseBodyWriter: Sendable {
    let handle: ConnectionHandle

    /// Sends `bytes` as the next part of the body; throws ``ConnectionClosedError`` when the client is gone.
    public func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        let handle = self.handle
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            handle.run({ connection in connection.writeStreamChunk(bytes, continuation: continuation) }, orElse: { continuation.resume(throwing: ConnectionClosedError()) })
        }
    }

    /// Sends a UTF-8 string.
    public func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }
}
