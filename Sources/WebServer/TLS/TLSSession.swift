import COpenSSL
import COpenSSLShim
import Glibc

/// One TLS connection over a non-blocking socket, driven by the event-loop thread that owns the socket.
///
/// Owns an OpenSSL `SSL`, freed in `deinit`. Not `Sendable`: an `SSL` must be used by one thread at a time, so a
/// session belongs to the event loop that owns its file descriptor. No method blocks or throws for expected
/// conditions: each returns `wantRead` / `wantWrite` when the socket is not ready, and the caller retries after
/// epoll reports readiness. The session never closes the file descriptor; its owner does, after dropping the session.
///
/// A write to a socket whose peer has gone raises SIGPIPE: the process must ignore SIGPIPE (the server does at start).
package final class TLSSession {
    /// Which side of the handshake this session plays.
    package enum Role: Sendable, Hashable {
        /// Accept a handshake (the HTTP server).
        case server
        /// Start a handshake. `serverName` is sent as SNI and, when the context verifies peers, checked against
        /// the certificate's DNS names; `nil` sends no SNI and skips the name check.
        case client(serverName: String?)
    }

    /// The owned `SSL *`, freed in `deinit`. Internal only so that `TLSSession+Errors.swift` can classify failures;
    /// nothing outside this type's files touches it.
    let ssl: OpaquePointer
    /// Keeps the context (and its certificate) alive as long as the session, although `SSL_new` also holds a reference.
    private let context: TLSContext
    /// Set after a fatal error: OpenSSL forbids `SSL_shutdown` after `SSL_ERROR_SSL` or `SSL_ERROR_SYSCALL`,
    /// and every later call reports the failure again without touching OpenSSL.
    var hasFailed = false

    /// Creates a session over `fileDescriptor`, which must be a connected, non-blocking stream socket.
    /// Does no I/O: call ``handshake()`` next.
    /// - Parameters:
    ///   - context: the shared configuration; a client role needs a client context and vice versa.
    ///   - fileDescriptor: the socket; the session reads and writes it but never closes it.
    ///   - role: server, or client with an optional server name.
    /// - Throws: ``TLSError/Code/openSSLSetupFailed`` when OpenSSL cannot allocate the session or the role does not
    ///   match the context.
    package init(context: TLSContext, fileDescriptor: Int32, role: Role) throws {
        ERR_clear_error()
        guard let ssl = SSL_new(context.pointer) else {
            throw TLSErrorQueue.error(.openSSLSetupFailed, "cannot create a TLS session")
        }
        self.ssl = ssl
        self.context = context
        guard SSL_set_fd(ssl, fileDescriptor) == 1 else {
            throw TLSErrorQueue.error(.openSSLSetupFailed, "cannot attach the TLS session to socket \(fileDescriptor)")
        }
        switch role {
        case .server:
            guard context.isServer else {
                throw TLSError(.openSSLSetupFailed, "a server TLS session needs a server context")
            }
            SSL_set_accept_state(ssl)
        case .client(let serverName):
            guard !context.isServer else {
                throw TLSError(.openSSLSetupFailed, "a client TLS session needs a client context")
            }
            if let serverName {
                guard falaj_ssl_set_hostname(ssl, serverName) == 1, SSL_set1_host(ssl, serverName) == 1 else {
                    throw TLSErrorQueue.error(.openSSLSetupFailed, "invalid TLS server name \(serverName)")
                }
            }
            SSL_set_connect_state(ssl)
        }
    }

    deinit {
        SSL_free(ssl)
    }

    /// Advances the handshake as far as the socket allows. Call until it returns ``TLSStatus/complete``, waiting for
    /// readability or writability as it asks; never blocks.
    package func handshake() -> TLSStatus {
        guard !hasFailed else { return .failed(reason: "the TLS session already failed") }
        ERR_clear_error()
        errno = 0
        let result = SSL_do_handshake(ssl)
        let savedErrno = errno
        if result == 1 {
            return .complete
        }
        return classifyFailure(returnCode: result, errno: savedErrno).status
    }

    /// Decrypts up to `buffer.count` plaintext bytes into `buffer`; never blocks. One call returns at most one TLS
    /// record's worth (16 KiB): after `.bytes`, check ``hasBufferedPlaintext`` or read again until `.wantRead`.
    /// - Parameter buffer: where to store plaintext; must not be empty.
    package func read(into buffer: UnsafeMutableRawBufferPointer) -> TLSReadResult {
        precondition(buffer.count > 0, "TLSSession.read(into:) needs a non-empty buffer")
        guard !hasFailed else { return .failed(reason: "the TLS session already failed") }
        ERR_clear_error()
        errno = 0
        var count = 0
        let result = SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &count)
        let savedErrno = errno
        if result == 1 {
            return .bytes(count)
        }
        switch classifyFailure(returnCode: result, errno: savedErrno) {
        case .wantRead: return .wantRead
        case .wantWrite: return .wantWrite
        case .closed: return .closed
        case .failed(let reason): return .failed(reason: reason)
        }
    }

    /// Encrypts and sends bytes from the start of `bytes`; never blocks. Returns how many were taken, which may be
    /// fewer than offered. After `.wantRead` or `.wantWrite`, repeat the call with the same unsent bytes.
    /// - Parameter bytes: plaintext to send; an empty buffer returns `.bytes(0)` without touching the socket.
    package func write(_ bytes: UnsafeRawBufferPointer) -> TLSWriteResult {
        guard !hasFailed else { return .failed(reason: "the TLS session already failed") }
        guard bytes.count > 0 else { return .bytes(0) }
        ERR_clear_error()
        errno = 0
        var count = 0
        let result = SSL_write_ex(ssl, bytes.baseAddress, bytes.count, &count)
        let savedErrno = errno
        if result == 1 {
            return .bytes(count)
        }
        switch classifyFailure(returnCode: result, errno: savedErrno) {
        case .wantRead: return .wantRead
        case .wantWrite: return .wantWrite
        case .closed: return .closed
        case .failed(let reason): return .failed(reason: reason)
        }
    }

    /// Whether decrypted bytes are waiting inside OpenSSL (`SSL_pending > 0`). epoll cannot see them, so the event
    /// loop must call ``read(into:)`` again before waiting for readability.
    package var hasBufferedPlaintext: Bool {
        SSL_pending(ssl) > 0
    }

    /// Sends close_notify, best effort, without waiting for the peer's; never blocks. Returns `.complete` once sent,
    /// `.wantWrite` if the socket is full (call again when writable, or just close), and `.closed` when there is
    /// nothing to send because the handshake never finished or the session failed.
    package func shutdown() -> TLSStatus {
        guard !hasFailed, SSL_is_init_finished(ssl) == 1 else { return .closed }
        ERR_clear_error()
        errno = 0
        let result = SSL_shutdown(ssl)
        let savedErrno = errno
        if result >= 0 {
            return .complete
        }
        return classifyFailure(returnCode: result, errno: savedErrno).status
    }

    /// Whether the handshake has finished.
    package var isHandshakeComplete: Bool {
        SSL_is_init_finished(ssl) == 1
    }

    /// The negotiated protocol, for example `TLSv1.3`; `nil` until the handshake completes.
    package var protocolVersion: String? {
        guard isHandshakeComplete else { return nil }
        return String(cString: SSL_get_version(ssl))
    }

    /// The negotiated cipher suite, for example `TLS_AES_256_GCM_SHA384`; `nil` until the handshake completes.
    package var cipherSuite: String? {
        guard isHandshakeComplete, let cipher = SSL_get_current_cipher(ssl) else { return nil }
        return String(cString: SSL_CIPHER_get_name(cipher))
    }
}

@available(*, unavailable, message: "an SSL must be used by one thread at a time: the event loop that owns its socket")
extension TLSSession: Sendable {}
