import CSystemShim
import Foundation

/// Reads and writes a connection's bytes: straight on the socket, or through a ``TLSSession``.
///
/// Both paths are non-blocking and classify every outcome, so the connection only deals with
/// "bytes", "wait", "closed" and "failed".
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

    private let tls: TLSSession?
    private(set) var phase: Phase
    private var handshakeWantsWrite = false

    private init(tls: TLSSession?) {
        self.tls = tls
        self.phase = tls == nil ? .established : .handshaking
    }

    /// A plain TCP transport.
    static var plain: ConnectionTransport { ConnectionTransport(tls: nil) }

    /// A server-side TLS transport on `fd`; the handshake runs as the socket becomes ready.
    static func tls(_ context: TLSContext, fd: Int32) throws -> ConnectionTransport {
        ConnectionTransport(tls: try TLSSession(context: context, fileDescriptor: fd, role: .server))
    }

    /// Whether the bytes travel over TLS.
    var isSecure: Bool { tls != nil }
    /// Whether TLS holds decrypted bytes that epoll will not report.
    var hasBufferedInput: Bool { tls?.hasBufferedPlaintext ?? false }
    /// While handshaking: whether the handshake waits to write (true) or to read (false); nil once established.
    var continueHandshakeInterest: Bool? { phase == .handshaking ? handshakeWantsWrite : nil }
    /// Whether file bodies may go out with sendfile(2) (only without TLS).
    var canSendFile: Bool { tls == nil }

    mutating func continueHandshake() -> HandshakeOutcome {
        guard let tls, phase == .handshaking else { return .complete }
        switch tls.handshake() {
        case .complete:
            phase = .established
            return .complete
        case .wantRead:
            handshakeWantsWrite = false
            return .wantRead
        case .wantWrite:
            handshakeWantsWrite = true
            return .wantWrite
        case .closed:
            return .closed
        case .failed:
            return .failed
        }
    }

    func read(fd: Int32, into buffer: inout [UInt8]) -> ReadOutcome {
        if let tls {
            let result = buffer.withUnsafeMutableBytes { tls.read(into: $0) }
            switch result {
            case .bytes(let count): return .bytes(count)
            case .wantRead, .wantWrite: return .wouldBlock
            case .closed: return .closed
            case .failed(let reason): return .failed(reason)
            }
        }
        switch Self.socketCall({ buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) } }) {
        case .bytes(0): return .closed
        case .bytes(let count): return .bytes(count)
        case .wouldBlock: return .wouldBlock
        case .closed: return .closed
        case .failed(let reason): return .failed(reason)
        }
    }

    func write(fd: Int32, _ bytes: UnsafeRawBufferPointer) -> WriteOutcome {
        if let tls {
            switch tls.write(bytes) {
            case .bytes(let count): return .bytes(count)
            case .wantRead, .wantWrite: return .wouldBlock
            case .closed: return .closed
            case .failed(let reason): return .failed(reason)
            }
        }
        return Self.socketCall { Foundation.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Runs a read(2)/send(2)-style call, retrying on EINTR and classifying any other errno (read in the same frame).
    private static func socketCall(_ call: () -> Int) -> WriteOutcome {
        while true {
            let count = call()
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

    /// Sends TLS close_notify (best effort, never blocks); nothing for plain TCP.
    func shutdown(fd: Int32) {
        _ = tls?.shutdown()
    }
}
