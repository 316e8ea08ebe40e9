import Foundation

/// A failed agent API call, classified by what the agent should do about it.
public struct AgentClientError: Error, Sendable, CustomStringConvertible {
    /// The classes of failure.
    public enum Kind: Sendable, Equatable {
        /// 401/403: the credential or job token was refused (revoked, expired or unknown). Stop and say so.
        case unauthenticated
        /// 409: the attempt is stale (the job moved on); drop what was being reported.
        case conflict
        /// Another 4xx, or an answer that could not be decoded; retrying will not help.
        case rejected
        /// The server was unreachable, timed out or answered 5xx; retry with back-off.
        case unavailable
        /// The configuration is unusable (e.g. `http://` to a non-loopback host).
        case configuration
    }

    /// What kind of failure.
    public let kind: Kind
    /// The HTTP status, when the server answered.
    public let status: Int?
    /// One line for the node's log (the server's problem title and detail when it sent one).
    public let message: String

    /// Creates an error.
    public init(_ kind: Kind, status: Int? = nil, message: String) {
        self.kind = kind
        self.status = status
        self.message = message
    }

    /// `<message>` plus the status when there is one.
    public var description: String { status.map { "\(message) (HTTP \($0))" } ?? message }
}

/// Exponential back-off with jitter for retries: 0.5 s, 1 s, 2 s, … capped at ``cap`` (default 30 s).
public struct Backoff: Sendable {
    /// The first delay. Default 500 ms.
    public var initial: Duration
    /// The longest delay. Default 30 s.
    public var cap: Duration
    private var attempt = 0

    /// Creates a back-off.
    /// - Parameters:
    ///   - initial: default 500 ms.
    ///   - cap: default 30 s.
    public init(initial: Duration = .milliseconds(500), cap: Duration = .seconds(30)) {
        self.initial = initial
        self.cap = cap
    }

    /// The next delay: the exponential step, capped, then jittered to between half and all of it.
    public mutating func nextDelay() -> Duration {
        let exponent = min(attempt, 16)
        attempt += 1
        let step = min(initial * (1 << exponent), cap)
        return step * Double.random(in: 0.5...1.0)
    }

    /// Starts again from ``initial`` (after a success).
    public mutating func reset() { attempt = 0 }
}

extension Duration {
    /// The duration as seconds with one decimal, e.g. `2.3 s`, for log lines.
    var secondsText: String {
        let (seconds, attoseconds) = components
        return String(format: "%.1f s", Double(seconds) + Double(attoseconds) / 1e18)
    }
}
