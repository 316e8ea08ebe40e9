import CSystemShim
import Foundation

/// One kept-alive HTTP/1.1 connection to an upstream server, owned by an event loop and touched only on its thread:
/// a non-blocking socket registered with the loop, one request at a time, the answer handed to a continuation.
/// Idle between requests, it sits in the loop's pool and watches for the server closing it.
final class UpstreamConnection: EventLoopHandler {
    private enum Phase {
        case connecting, writing, reading, idle, closed
    }

    let key: String
    private let loop: EventLoop
    private let fd: Int32
    private var phase = Phase.connecting
    private var outgoing: [UInt8] = []
    private var written = 0
    private var incoming: [UInt8] = []
    private var deadline: ContinuousClock.Instant?
    private var maxBodyBytes = 0
    private var continuation: CheckedContinuation<UpstreamResponse, any Error>?

    /// Opens a non-blocking connection to `host` (an IPv4 address) and `port` on `loop`.
    init(host: String, port: Int, key: String, loop: EventLoop) throws(UpstreamError) {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
        guard port > 0, port < 65_536, inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw UpstreamError(kind: .unreachable, message: "\(host):\(port) is not an IPv4 address and port")
        }
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw UpstreamError(kind: .unreachable, message: "socket() failed: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        _ = setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0 && errno != EINPROGRESS {
            let reason = String(cString: strerror(errno))
            Foundation.close(socket)
            throw UpstreamError(kind: .unreachable, message: "cannot connect to \(host):\(port): \(reason)")
        }
        (self.fd, self.key, self.loop) = (socket, key, loop)
        do {
            try loop.register(self, fd: socket, events: FALAJ_EPOLLOUT)
        } catch {
            Foundation.close(socket)
            throw UpstreamError(kind: .unreachable, message: "cannot watch the connection: \(error)")
        }
    }

    /// Sends `request` (whole, head and body) and answers `continuation` with the response, or a failure at `deadline`.
    func start(_ request: [UInt8], deadline: ContinuousClock.Instant, maxBodyBytes: Int, continuation: CheckedContinuation<UpstreamResponse, any Error>) {
        (outgoing, written, incoming, self.deadline, self.maxBodyBytes, self.continuation) = (request, 0, [], deadline, maxBodyBytes, continuation)
        if phase == .idle {
            phase = .writing
            flush()
        }  // else still connecting: writes once connected
    }

    func handleEvents(_ events: UInt32) {
        switch phase {
        case .connecting:
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else { return fail(.unreachable, "cannot connect: \(String(cString: strerror(error)))") }
            phase = .writing
            flush()
        case .writing:
            flush()
        case .reading:
            receive()
        case .idle:
            // The server closed an idle connection (or sent bytes nobody asked for): drop it from the pool.
            close()
        case .closed:
            break
        }
    }

    func tick(now: ContinuousClock.Instant) {
        if let deadline, now >= deadline, continuation != nil { fail(.timedOut, "no answer in time") }
    }

    private func flush() {
        while written < outgoing.count {
            let count = outgoing.withUnsafeBytes { Foundation.send(fd, $0.baseAddress! + written, outgoing.count - written, Int32(MSG_NOSIGNAL)) }
            if count < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    loop.modify(fd: fd, events: FALAJ_EPOLLOUT)
                    return
                }
                return fail(.unreachable, "the connection broke while sending: \(String(cString: strerror(errno)))")
            }
            written += count
        }
        phase = .reading
        loop.modify(fd: fd, events: FALAJ_EPOLLIN | FALAJ_EPOLLRDHUP)
        receive()
    }

    private func receive() {
        var atEnd = false
        while true {
            let count = loop.readBuffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                incoming += loop.readBuffer[0..<count]
                if count < loop.readBuffer.count { break }
                continue
            }
            if count == 0 {
                atEnd = true
                break
            }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { break }
            return fail(.unreachable, "the connection broke while reading: \(String(cString: strerror(errno)))")
        }
        do {
            guard let (response, keepAlive) = try UpstreamResponseParser.parse(incoming, atEnd: atEnd, maxBodyBytes: maxBodyBytes) else { return }
            let continuation = self.continuation
            (self.continuation, deadline, outgoing, incoming) = (nil, nil, [], [])
            if keepAlive && !atEnd {
                phase = .idle
                loop.modify(fd: fd, events: FALAJ_EPOLLIN | FALAJ_EPOLLRDHUP)
                Upstream.park(self, on: loop)
            } else {
                close()
            }
            continuation?.resume(returning: response)
        } catch {
            fail(error.kind, error.message, answeredAnything: !incoming.isEmpty)
        }
    }

    /// Closes the connection and fails the waiting request (as `unreachable` only while no answer byte arrived, so the
    /// caller may try elsewhere).
    private func fail(_ kind: UpstreamError.Kind, _ message: String, answeredAnything: Bool = false) {
        let continuation = self.continuation
        self.continuation = nil
        close()
        continuation?.resume(throwing: UpstreamError(kind: kind == .unreachable && answeredAnything ? .badResponse : kind, message: message))
    }

    /// Closes the connection; a request waiting on it fails as `unreachable` (the server is stopping).
    func abort() { fail(.unreachable, "the server is stopping") }

    /// Stops watching and closes the socket, leaving the pool.
    func close() {
        guard phase != .closed else { return }
        phase = .closed
        loop.deregister(fd: fd)
        Foundation.close(fd)
        Upstream.unpark(self, from: loop)
    }

    /// Whether it can take a request now.
    var isIdle: Bool { phase == .idle }
}
