import CSystemShim

/// Everything the HTTP server needs to start, with defaults stated per field.
public struct HTTPServerConfiguration: Sendable {
    /// The address to listen on (default `127.0.0.1`). Use `0.0.0.0` or `::` to listen on all interfaces.
    public var host: String = "127.0.0.1"
    /// The TCP port (default 8080; 0 picks a free port, read it back from ``HTTPServer/port``).
    public var port: Int = 8080
    /// Event-loop threads (default: one per core this process may run on, so `taskset` and cpusets are respected).
    public var eventLoopCount: Int = Int(falaj_available_cpu_count())
    /// The listen backlog (default 1024).
    public var backlog: Int32 = 1024
    /// Size and time limits per connection.
    public var limits = HTTPServerLimits()
    /// How long graceful shutdown waits for in-flight requests before closing connections (default 10 s).
    public var shutdownGracePeriod: Duration = .seconds(10)

    /// TLS certificate and key; nil serves plain HTTP (default).
    public var tls: TLSConfiguration?

    /// A configuration with the defaults above.
    public init() {}
}
