import Logging
import Synchronization

/// What every connection of one server shares: the responder, limits, logger and counters.
final class ServerState: Sendable {
    let responder: any HTTPResponder
    let limits: HTTPServerLimits
    let logger: Logger
    /// Set once graceful shutdown begins: responses get `Connection: close`, idle connections close.
    let isDraining = Atomic<Bool>(false)
    /// Connections open right now, across all loops.
    let openConnections = Atomic<Int>(0)
    /// Connections accepted since start.
    let acceptedConnections = Atomic<Int>(0)
    private let nextConnectionID = Atomic<UInt64>(1)
    private let requestIDPrefix: String

    init(responder: any HTTPResponder, limits: HTTPServerLimits, logger: Logger) {
        self.responder = responder
        self.limits = limits
        self.logger = logger
        let random = UInt32.random(in: 0...UInt32.max)
        requestIDPrefix = String(random, radix: 16).leftPadded(to: 8)
    }

    func makeConnectionID() -> UInt64 {
        nextConnectionID.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    /// A request id unique within this process and unlikely to repeat across restarts: random prefix + counter.
    func makeRequestID(connectionID: UInt64, sequence: Int) -> String {
        "\(requestIDPrefix)-\(String(connectionID, radix: 16))-\(sequence)"
    }
}

extension String {
    func leftPadded(to length: Int, with pad: Character = "0") -> String {
        count >= length ? self : String(repeating: pad, count: length - count) + self
    }
}
