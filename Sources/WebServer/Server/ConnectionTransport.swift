import CSystemShim
import Foundation

/// Reads and writes a connection's bytes: straight on the socket, or through TLS.
struct ConnectionTransport {
    enum ReadOutcome {
        case bytes(Int)
        case wouldBlock
        case closed
        case failed(String)
    }

    enum WriteOutcome {
        case bytes(Int)
        case wouldBlock
        case closed
        case failed(String)
    }

    enum HandshakeOutcome {
        case complete, wantRead, wantWrite, closed, failed
    }

    enum Phase {
        case handshaking
        case established
    }

    private(set) var phase: Phase = .established
    /// Whether the bytes travel over TLS.
    var isSecure: Bool { false }
    /// Whether the transport holds decrypted bytes that epoll will not report.
    var hasBufferedInput: Bool { false }
    /// While handshaking: whether the handshake waits to write (true) or read (false); nil once established.
    var continueHandshakeInterest: Bool? { nil }

    /// A plain TCP transport.
    static var plain: ConnectionTransport { ConnectionTransport() }

    mutating func continueHandshake() -> HandshakeOutcome { .complete }

    func read(fd: Int32, into buffer: inout [UInt8]) -> ReadOutcome {
        while true {
            let count = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if count > 0 { return .bytes(count) }
            if count == 0 { return .closed }
            let code = falaj_errno()
            switch ErrnoAction(errno: code) {
            case .retry: continue
            case .wait: return .wouldBlock
            case .dropConnection: return .closed
            case .backOff, .fault: return .failed(String(cString: strerror(code)))
            }
        }
    }

    func write(fd: Int32, _ bytes: UnsafeRawBufferPointer) -> WriteOutcome {
        while true {
            let count = Foundation.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if count >= 0 { return .bytes(count) }
            let code = falaj_errno()
            switch ErrnoAction(errno: code) {
            case .retry: continue
            case .wait: return .wouldBlock
            case .dropConnection: return .closed
            case .backOff, .fault: return .failed(String(cString: strerror(code)))
            }
        }
    }

    /// Whether file bodies may go out with sendfile(2) (not through TLS).
    var canSendFile: Bool { true }

    func shutdown(fd: Int32) {}
}
