/// One HTTP request for ``HTTPClient``.
public struct HTTPClientRequest: Sendable {
    /// The bytes sent after the headers.
    public enum Body: Sendable {
        /// A body held in memory (sent with a `Content-Length`).
        case bytes([UInt8])
        /// A body streamed from `source`. With a `length` it is sent with `Content-Length` (the source must yield
        /// exactly that many bytes); without one it is sent with `Transfer-Encoding: chunked`.
        case stream(any AsyncSequence<[UInt8], any Error> & Sendable, length: Int64?)
    }

    /// The method, e.g. `GET`, `PUT`, `HEAD`. `HEAD` requests never read a body.
    public var method: String
    /// An absolute `http://` or `https://` URL, already percent-encoded.
    public var url: String
    /// Header fields in order. Duplicates are sent as given; names are case-insensitive.
    public var headers: [(name: String, value: String)]
    /// The request body; nil sends none.
    public var body: Body?
    /// Overrides ``HTTPClient/Configuration/timeout`` for this request (the whole exchange, body included).
    public var timeout: Duration?

    /// Creates a request.
    /// - Parameters:
    ///   - method: defaults to `GET`.
    ///   - url: an absolute, percent-encoded URL.
    ///   - headers: header fields; `Host`, `Content-Length` and `Transfer-Encoding` are set by the client.
    ///   - body: defaults to none.
    ///   - timeout: defaults to the client's ``HTTPClient/Configuration/timeout``.
    public init(
        method: String = "GET",
        url: String,
        headers: [(name: String, value: String)] = [],
        body: Body? = nil,
        timeout: Duration? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}
