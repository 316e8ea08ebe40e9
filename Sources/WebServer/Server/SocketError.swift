import CSystemShim
import Foundation

/// A failed socket or system call, with errno captured in the same frame as the call (STYLE.md §7).
public struct SocketError: Error, Sendable, CustomStringConvertible {
    /// The call that failed, e.g. `bind`.
    public let call: String
    /// The errno value.
    public let errno: Int32

    /// Captures the calling thread's errno now.
    static func make(_ call: String) -> SocketError {
        SocketError(call: call, errno: falaj_errno())
    }

    /// `bind: Address already in use (errno 98)`.
    public var description: String { "\(call): \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// What to do after a socket call failed, by errno.
enum ErrnoAction {
    /// EINTR: try the call again now.
    case retry
    /// EAGAIN/EWOULDBLOCK: wait for readiness.
    case wait
    /// The peer is gone (ECONNRESET, EPIPE, ETIMEDOUT, ...): close this connection quietly.
    case dropConnection
    /// accept: out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM): pause accepting for a while.
    case backOff
    /// Anything else: a real fault; log it and close.
    case fault

    /// Classifies `code` (an errno value).
    init(errno code: Int32) {
        switch code {
        case EINTR: self = .retry
        case EAGAIN, EWOULDBLOCK: self = .wait
        case ECONNRESET, EPIPE, ETIMEDOUT, ECONNABORTED, ENOTCONN, EHOSTUNREACH, ENETUNREACH, EPROTO: self = .dropConnection
        case EMFILE, ENFILE, ENOBUFS, ENOMEM: self = .backOff
        default: self = .fault
        }
    }
}
