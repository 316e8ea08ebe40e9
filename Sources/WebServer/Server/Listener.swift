import CSystemShim
import Foundation
import Logging
import Synchronization

/// A listening socket on one event loop. Each loop has its own (SO_REUSEPORT), so the kernel spreads connections.
final class Listener: EventLoopHandler {
    let fd: Int32
    unowned let loop: EventLoop
    let server: ServerState
    /// Wraps an accepted socket in plain or TLS transport.
    let makeTransport: (Int32) throws -> ConnectionTransport
    private var pausedUntil: ContinuousClock.Instant?
    private var isClosed = false
    private var peerBuffer = [CChar](repeating: 0, count: 64)

    init(fd: Int32, loop: EventLoop, server: ServerState, makeTransport: @escaping (Int32) throws -> ConnectionTransport) {
        self.fd = fd
        self.loop = loop
        self.server = server
        self.makeTransport = makeTransport
    }

    func handleEvents(_ events: UInt32) {
        // Accept a bounded batch per wake-up so one loop cannot starve its existing connections.
        for _ in 0..<64 {
            guard !isClosed, pausedUntil == nil else { return }
            let connectionFD = peerBuffer.withUnsafeMutableBufferPointer { falaj_accept(fd, $0.baseAddress, $0.count) }
            if connectionFD < 0 {
                let code = falaj_errno()
                switch ErrnoAction(errno: code) {
                case .retry, .dropConnection: continue  // EINTR, ECONNABORTED: the next one may be fine
                case .wait: return
                case .backOff:
                    server.logger.warning("accept paused: \(SocketError(call: "accept", errno: code)); retrying in 100 ms")
                    pausedUntil = .now + .milliseconds(100)
                    loop.modify(fd: fd, events: 0)
                    return
                case .fault:
                    server.logger.error("listener stopped: \(SocketError(call: "accept", errno: code))")
                    close()
                    return
                }
            }
            let peer = peerBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            accepted(connectionFD, peer: peer)
        }
    }

    private func accepted(_ connectionFD: Int32, peer: String) {
        _ = falaj_set_nodelay(connectionFD)
        let transport: ConnectionTransport
        do {
            transport = try makeTransport(connectionFD)
        } catch {
            server.logger.warning("TLS session setup failed: \(error)")
            Foundation.close(connectionFD)
            return
        }
        let connection = HTTPConnection(fd: connectionFD, loop: loop, server: server, remoteAddress: peer, transport: transport)
        do {
            try loop.register(connection, fd: connectionFD, events: FALAJ_EPOLLIN | FALAJ_EPOLLRDHUP)
        } catch {
            server.logger.warning("could not watch accepted connection: \(error)")
            Foundation.close(connectionFD)
            return
        }
        server.openConnections.add(1, ordering: .relaxed)
        server.acceptedConnections.add(1, ordering: .relaxed)
        if server.isDraining.load(ordering: .relaxed) { connection.closeWhenFlushed = true }
    }

    func tick(now: ContinuousClock.Instant) {
        if let pausedUntil, now >= pausedUntil, !isClosed {
            self.pausedUntil = nil
            loop.modify(fd: fd, events: FALAJ_EPOLLIN)
        }
    }

    /// Stops accepting and closes the socket.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        loop.deregister(fd: fd)
        Foundation.close(fd)
    }
}
