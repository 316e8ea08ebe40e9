public import HTTPTypes

/// An HTTP response: status, header fields and a body that is bytes, a stream or a file.
///
/// The server adds `Date`, `Content-Length` or `Transfer-Encoding`, and `Connection` itself.
public struct Response: Sendable {
    /// The status.
    public var status: HTTPResponse.Status
    /// Header fields set by the handler.
    public var headerFields: HTTPFields
    /// The body.
    public var body: ResponseBody

    /// Creates a response (default: 200 with no body).
    public init(status: HTTPResponse.Status = .ok, headerFields: HTTPFields = [:], body: ResponseBody = .empty) {
        self.status = status
        self.headerFields = headerFields
        self.body = body
    }

    /// A `text/plain; charset=utf-8` response.
    public static func text(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headerFields: [.contentType: "text/plain; charset=utf-8"], body: .bytes(Array(text.utf8)))
    }

    /// A `text/html; charset=utf-8` response.
    public static func html(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headerFields: [.contentType: "text/html; charset=utf-8"], body: .bytes(Array(html.utf8)))
    }

    /// An `application/json` response from already-encoded bytes.
    public static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headerFields: [.contentType: "application/json"], body: .bytes(bytes))
    }

    /// A `text/event-stream` response (server-sent events); `produce` writes events until it returns or the client leaves.
    public static func eventStream(_ produce: @escaping @Sendable (ServerSentEventWriter) async throws -> Void) -> Response {
        Response(
            headerFields: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: .stream { writer in try await produce(ServerSentEventWriter(writer: writer)) }
        )
    }
}

/// A response body.
public struct ResponseBody: Sendable {
    enum Storage: Sendable {
        case bytes([UInt8])
        case stream(@Sendable (ResponseBodyWriter) async throws -> Void)
        case file(FileRegion)
    }

    let storage: Storage

    /// No body.
    public static let empty = ResponseBody(storage: .bytes([]))

    /// A body of known bytes, sent with `Content-Length`.
    public static func bytes(_ bytes: [UInt8]) -> ResponseBody { ResponseBody(storage: .bytes(bytes)) }

    /// A streamed body sent with `Transfer-Encoding: chunked` (or raw when the handler set `Content-Length`).
    /// `produce` runs after the head is sent; writes wait while the client is slow to read.
    public static func stream(_ produce: @escaping @Sendable (ResponseBodyWriter) async throws -> Void) -> ResponseBody {
        ResponseBody(storage: .stream(produce))
    }

    /// A byte range of a file, sent with `sendfile(2)` where possible.
    public static func file(_ region: FileRegion) -> ResponseBody { ResponseBody(storage: .file(region)) }

    /// The body's length when known before sending.
    var knownLength: Int? {
        switch storage {
        case .bytes(let bytes): bytes.count
        case .file(let region): region.length
        case .stream: nil
        }
    }
}

/// A byte range of a file on disk.
public struct FileRegion: Sendable {
    /// The absolute path.
    public var path: String
    /// The first byte to send.
    public var offset: Int
    /// How many bytes to send.
    public var length: Int

    /// Creates a region.
    public init(path: String, offset: Int = 0, length: Int) {
        self.path = path
        self.offset = offset
        self.length = length
    }
}

/// Formats server-sent events (the `text/event-stream` format) onto a streamed body.
public struct ServerSentEventWriter: Sendable {
    let writer: ResponseBodyWriter

    /// Sends one event; multi-line data is split into several `data:` lines.
    public func send(data: String, event: String? = nil, id: String? = nil) async throws {
        var text = ""
        if let event { text += "event: \(event)\n" }
        if let id { text += "id: \(id)\n" }
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) {
            text += "data: \(line)\n"
        }
        text += "\n"
        try await writer.write(Array(text.utf8))
    }

    /// Sends a comment line, which keeps idle connections and proxies from timing out.
    public func sendComment(_ comment: String) async throws {
        try await writer.write(Array(": \(comment)\n\n".utf8))
    }
}
