/// The outcome of ``TLSSession/handshake()`` or ``TLSSession/shutdown()``.
package enum TLSStatus: Sendable, Hashable {
    /// The handshake finished (or, for `shutdown()`, close_notify was sent).
    case complete
    /// Call again when the socket is readable.
    case wantRead
    /// Call again when the socket is writable.
    case wantWrite
    /// The peer closed the connection (close_notify, EOF, ECONNRESET or EPIPE). Close the socket.
    case closed
    /// The connection failed for good (protocol error, certificate verification failure, socket error).
    /// `reason` is OpenSSL's short description, for the log; never send it to the peer. Close the socket.
    case failed(reason: String)
}

/// The outcome of ``TLSSession/read(into:)``.
package enum TLSReadResult: Sendable, Hashable {
    /// This many plaintext bytes (at least one) were stored at the start of the buffer.
    case bytes(Int)
    /// No plaintext available yet: wait until the socket is readable.
    case wantRead
    /// TLS needs to send first (for example a key update): wait until the socket is writable, then read again.
    case wantWrite
    /// The peer closed the connection: cleanly with close_notify, or by EOF, ECONNRESET or EPIPE.
    case closed
    /// The connection failed for good; `reason` is for the log only. Close the socket.
    case failed(reason: String)
}

/// The outcome of ``TLSSession/write(_:)``.
package enum TLSWriteResult: Sendable, Hashable {
    /// This many bytes from the start of the buffer were encrypted and handed to the socket. May be fewer than
    /// offered (partial writes are enabled); write the rest later.
    case bytes(Int)
    /// TLS must receive first: wait until the socket is readable, then repeat the write with the same bytes.
    case wantRead
    /// The socket buffer is full: wait until it is writable, then repeat the write with the same bytes
    /// (the buffer may move; its contents must not change).
    case wantWrite
    /// The peer is gone (EPIPE, ECONNRESET, or it sent close_notify). Close the socket.
    case closed
    /// The connection failed for good; `reason` is for the log only. Close the socket.
    case failed(reason: String)
}
