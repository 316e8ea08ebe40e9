import CSystemShim
import Foundation
import HTTPTypes
import Synchronization

/// Deadlines, lingering close and closing: the parts of a connection's life that do not depend on a request.
extension HTTPConnection {
    // MARK: Deadlines

    func tick(now: ContinuousClock.Instant) {
        guard !isClosed else { return }
        let limits = server.limits
        if let lingerStart {
            if now - lingerStart > Self.lingerTimeout { close() }
            return
        }
        if case .handshaking = transport.phase {
            // A TLS handshake gets the same budget as a request head.
            if now - openedAt > limits.headerReadTimeout || server.isDraining.load(ordering: .relaxed) { close() }
            return
        }
        if let current {
            if !current.isBodyComplete, !isReadPaused, now - current.lastBodyProgress > limits.bodyReadTimeout {
                current.bodyStream?.fail(HTTPError(.requestTimeout, "request body not received in time"))
                if current.isResponseStarted { close() } else { failRequest(HTTPParseError(.malformed, "request body timeout").asTimeout) }
            } else if isWriteBlocked, now - lastActivity > limits.idleTimeout {
                close()  // the client stopped reading
            }
            return
        }
        if let headerStart, now - headerStart > limits.headerReadTimeout {
            failRequest(HTTPParseError(.malformed, "request header timeout").asTimeout)
        } else if headerStart == nil, parser.isIdle, outboundOffset >= outbound.count {
            if server.isDraining.load(ordering: .relaxed) || now - lastActivity > limits.idleTimeout { close() }
        } else if closeWhenFlushed, now - lastActivity > limits.idleTimeout {
            close()
        }
    }

    // MARK: Lingering close

    /// After refusing a request whose bytes may still be arriving, closing at once would make the kernel send a
    /// reset that can destroy the error response before the client reads it (RFC 9112 §9.6). Instead: stop
    /// sending, read and drop input until the client closes, at most ``lingerLimit`` bytes or ``lingerTimeout``.
    func closeGracefully() {
        guard !isClosed, lingerStart == nil else { return }
        guard !transport.isSecure, Foundation.shutdown(fd, Int32(SHUT_WR)) == 0 else {
            close()
            return
        }
        lingerStart = .now
        lingeredBytes = 0
        updateInterest()
    }

    static let lingerTimeout: Duration = .seconds(2)
    static let lingerLimit = 1 << 20

    func drainWhileLingering(since start: ContinuousClock.Instant) {
        while !isClosed {
            switch transport.read(fd: fd, into: &loop.readBuffer) {
            case .bytes(let count):
                lingeredBytes += count
                if lingeredBytes > Self.lingerLimit || ContinuousClock.now - start > Self.lingerTimeout { close() }
            case .wouldBlock:
                return
            case .closed, .failed:
                close()
            }
        }
    }

    // MARK: Closing

    /// Closes the socket at once and fails anything still waiting on it.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        current?.bodyStream?.fail(ConnectionClosedError())
        current = nil
        for waiter in streamWaiters { waiter.resume(throwing: ConnectionClosedError()) }
        streamWaiters.removeAll()
        pendingFile?.close()
        pendingFile = nil
        transport.shutdown(fd: fd)
        loop.deregister(fd: fd)
        Foundation.close(fd)
        server.openConnections.subtract(1, ordering: .relaxed)
    }
}
