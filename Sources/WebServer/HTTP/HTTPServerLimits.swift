/// Size and time limits the server enforces on every connection. Defaults are stated per field.
///
/// Limits are checked while parsing, before a handler runs: a request that breaks one is answered
/// with 400, 408, 413, 414 or 431 and the connection is closed.
public struct HTTPServerLimits: Sendable, Equatable {
    /// The longest request line accepted, in bytes (default 8 KiB). Longer → 414.
    public var maxRequestLineLength: Int = 8 * 1024
    /// The most bytes of header fields (and chunked trailers) accepted (default 64 KiB). More → 431.
    public var maxHeaderBytes: Int = 64 * 1024
    /// The most header fields accepted (default 100). More → 431.
    public var maxHeaderCount: Int = 100
    /// The largest request body accepted, unless a route overrides it (default 8 MiB). Larger → 413.
    public var maxBodySize: Int = 8 * 1024 * 1024
    /// How long a client may take from its first byte to the end of the header section (default 10 s). Then 408 and close.
    public var headerReadTimeout: Duration = .seconds(10)
    /// How long a request body may go without any new bytes arriving (default 30 s). Then 408 and close.
    public var bodyReadTimeout: Duration = .seconds(30)
    /// How long a kept-alive connection may sit idle between requests (default 60 s). Then it is closed.
    public var idleTimeout: Duration = .seconds(60)

    /// Limits with the defaults above.
    public init() {}
}
