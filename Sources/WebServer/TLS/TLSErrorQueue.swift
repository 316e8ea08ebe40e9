import COpenSSL
import COpenSSLShim
import Glibc

/// The calling thread's OpenSSL error queue.
///
/// The queue is thread-local, like `errno`: drain it in the same synchronous frame as the failing call, never across
/// an `await` (STYLE.md §7), and clear it before each call whose failure is classified with `SSL_get_error`, so that
/// one connection's leftovers never leak into the next connection served by the same thread.
enum TLSErrorQueue {
    /// One queued error.
    struct Entry {
        /// The packed OpenSSL error code.
        var code: UInt
        /// OpenSSL's short reason with any attached data, for example `certificate verify failed` or
        /// `No such file or directory`; empty for the generic "system lib" entries that follow a system error.
        var reason: String
        /// The full line with any attached data, for example `error:80000002:system library::No such file or
        /// directory (calling fopen(/etc/cert.pem, r))`.
        var full: String
    }

    /// Removes and returns every queued error, oldest first. The queue is empty afterwards.
    static func drain() -> [Entry] {
        var entries: [Entry] = []
        while true {
            var data: UnsafePointer<CChar>? = nil
            var flags: Int32 = 0
            let code = ERR_get_error_all(nil, nil, nil, &data, &flags)
            guard code != 0 else { break }
            var line = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &line, line.count)
            var full = line.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            let attached = flags & ERR_TXT_STRING != 0 ? data.map { String(cString: $0) } ?? "" : ""
            if !attached.isEmpty {
                full += " (\(attached))"
            }
            let systemErrno = falaj_err_system_errno(code)
            let reason: String
            if systemErrno != 0 {
                // A wrapped errno, such as ENOENT from fopen: its text says it best (the data repeats the path).
                reason = String(cString: strerror(systemErrno))
            } else if falaj_err_is_generic_system_lib(code) != 0 {
                // "system lib" only repeats that a system error came before.
                reason = ""
            } else {
                let text = ERR_reason_error_string(code).map { String(cString: $0) } ?? "OpenSSL error \(code)"
                reason = attached.isEmpty ? text : "\(text) (\(attached))"
            }
            entries.append(Entry(code: code, reason: reason, full: full))
        }
        return entries
    }

    /// Drains the queue into a ``TLSError``: `prefix` followed by OpenSSL's reasons, or `fallback` when the queue
    /// holds nothing.
    static func error(
        _ code: TLSError.Code,
        _ prefix: String,
        fallback: String = "unknown OpenSSL error",
        file: String = #fileID,
        line: Int = #line
    ) -> TLSError {
        let entries = drain()
        let reasons = rootCause(entries) ?? fallback
        return TLSError(code, "\(prefix): \(reasons)", openSSLErrors: entries.map(\.full), file: file, line: line)
    }

    /// The reason of the oldest entry, which names the root cause; later entries only say which OpenSSL layer passed
    /// the failure up (for example "PEM lib") and stay in the full lines. `nil` when there is no reason at all.
    static func rootCause(_ entries: [Entry]) -> String? {
        entries.first { !$0.reason.isEmpty }?.reason
    }

    /// Whether an entry says the peer closed the socket without sending close_notify.
    static func isUnexpectedEOF(_ entry: Entry) -> Bool {
        falaj_err_is_unexpected_eof(entry.code) != 0
    }
}
