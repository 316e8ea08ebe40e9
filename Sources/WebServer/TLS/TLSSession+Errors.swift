import COpenSSL
import Glibc

extension TLSSession {
    /// What a failed `SSL_*` call means for the event loop.
    enum Failure {
        case wantRead
        case wantWrite
        case closed
        case failed(String)

        /// The failure as a handshake or shutdown status.
        var status: TLSStatus {
            switch self {
            case .wantRead: .wantRead
            case .wantWrite: .wantWrite
            case .closed: .closed
            case .failed(let reason): .failed(reason: reason)
            }
        }
    }

    /// Classifies a failed `SSL_do_handshake`, `SSL_read_ex`, `SSL_write_ex` or `SSL_shutdown` on this session.
    ///
    /// Must run in the same synchronous frame as that call, with the `errno` read right after it: both `errno` and
    /// OpenSSL's error queue are thread-local. Always leaves the error queue empty, so nothing leaks into the next
    /// connection this thread serves.
    func classifyFailure(returnCode: Int32, errno savedErrno: Int32) -> Failure {
        let sslError = SSL_get_error(ssl, returnCode)
        let entries = TLSErrorQueue.drain()
        switch sslError {
        case SSL_ERROR_WANT_READ:
            return .wantRead
        case SSL_ERROR_WANT_WRITE:
            return .wantWrite
        case SSL_ERROR_ZERO_RETURN:
            // The peer sent close_notify; the session is still usable for sending ours.
            return .closed
        case SSL_ERROR_SYSCALL:
            hasFailed = true
            if let reasons = TLSErrorQueue.rootCause(entries) {
                return .failed(reasons)
            }
            switch savedErrno {
            case 0, ECONNRESET, EPIPE:
                // 0 with an empty queue: EOF from the socket.
                return .closed
            default:
                return .failed("socket error: \(String(cString: strerror(savedErrno)))")
            }
        case SSL_ERROR_SSL:
            hasFailed = true
            if entries.contains(where: TLSErrorQueue.isUnexpectedEOF) {
                // OpenSSL 3 reports a peer that closed without close_notify this way.
                return .closed
            }
            return .failed(reasonText(entries))
        default:
            hasFailed = true
            return .failed("unexpected SSL_get_error result \(sslError)")
        }
    }

    /// OpenSSL's reasons, plus the certificate verification result when that is what failed.
    private func reasonText(_ entries: [TLSErrorQueue.Entry]) -> String {
        var reasons = [TLSErrorQueue.rootCause(entries) ?? "TLS protocol error"]
        let verifyResult = SSL_get_verify_result(ssl)
        if verifyResult != X509_V_OK {
            reasons.append("certificate verification: \(String(cString: X509_verify_cert_error_string(verifyResult)))")
        }
        return reasons.joined(separator: "; ")
    }
}
