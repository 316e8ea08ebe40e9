import Foundation

/// One keep-alive HTTP/1.1 connection to 127.0.0.1 with blocking POSIX sockets, for timing requests one at a time
/// without a client library's per-request set-up (``HTTPClient`` opens a connection per request). Reads responses
/// framed by `Content-Length` or chunked; reconnects when the server closed the connection between requests (and
/// counts it). Receives time out after 10 s. Not thread-safe: one thread uses it.
final class KeepAliveConnection {
    private let port: Int
    private var fd: Int32 = -1
    /// Bytes received and not yet consumed.
    private var buffer: [UInt8] = []
    private var scratch = [UInt8](repeating: 0, count: 64 << 10)
    /// Connections opened after the first.
    private(set) var reconnects = 0

    init(port: Int) throws {
        self.port = port
        try open()
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// A POST request's bytes.
    static func post(_ path: String, port: Int, bearer: String, body: [UInt8]) -> [UInt8] {
        Array(
            (
                "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer \(bearer)\r\nContent-Type: application/json\r\n"
                    + "Accept: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
            ).utf8
        ) + body
    }

    /// Sends `request` and reads its response: the status and the body.
    func exchange(_ request: [UInt8]) throws -> (status: Int, body: [UInt8]) {
        if fd < 0 {
            try open()
            reconnects += 1
        }
        try send(request)
        if let response = try readResponse() { return response }
        // The server closed the idle connection before this request: once more on a new one.
        close(fd)
        fd = -1
        try open()
        reconnects += 1
        try send(request)
        guard let response = try readResponse() else { throw BootstrapError(message: "the server closed a new connection without answering") }
        return response
    }

    private func open() throws {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw BootstrapError(message: "socket() failed: errno \(errno)") }
        var one: Int32 = 1
        _ = setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        _ = setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(socket)
            throw BootstrapError(message: "connect to 127.0.0.1:\(port) failed: errno \(errno)")
        }
        fd = socket
        buffer.removeAll(keepingCapacity: true)
    }

    private func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { Foundation.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw BootstrapError(message: "send failed: errno \(errno)") }
            sent += count
        }
    }

    /// Receives more bytes into the buffer; false at end of stream.
    private func receive() throws -> Bool {
        while true {
            let count = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw BootstrapError(message: "recv failed (errno \(errno); 11 is a 10 s timeout)") }
            buffer.append(contentsOf: scratch[0..<count])
            return count > 0
        }
    }

    /// Receives until the buffer holds at least `count` bytes.
    private func need(_ count: Int) throws {
        while buffer.count < count {
            guard try receive() else { throw BootstrapError(message: "the server closed the connection mid-response") }
        }
    }

    /// The index just past the next CRLF at or after `from`, receiving as needed.
    private func line(from start: Int) throws -> Int {
        var index = start
        while true {
            while index + 1 < buffer.count {
                if buffer[index] == 0x0D && buffer[index + 1] == 0x0A { return index + 2 }
                index += 1
            }
            guard try receive() else { throw BootstrapError(message: "the server closed the connection mid-response") }
        }
    }

    /// One response; nil when the connection was closed before any byte of it.
    private func readResponse() throws -> (status: Int, body: [UInt8])? {
        if buffer.isEmpty {
            guard try receive() else { return nil }
        }
        // The head: up to the empty line.
        var end = 0
        var lines: [String] = []
        while true {
            let next = try line(from: end)
            if next - end == 2 { break }
            lines.append(String(decoding: buffer[end..<(next - 2)], as: UTF8.self))
            end = next
        }
        let headEnd = end + 2
        guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1.1 "), let status = Int(statusLine.dropFirst(9).prefix(3)) else {
            throw BootstrapError(message: "not an HTTP/1.1 response: \(lines.first ?? "")")
        }
        var length: Int?
        var isChunked = false
        var closes = false
        for header in lines.dropFirst() {
            guard let colon = header.firstIndex(of: ":") else { continue }
            let name = header[..<colon].lowercased()
            let value = header[header.index(after: colon)...].trimmingCharacters(in: .whitespaces).lowercased()
            if name == "content-length" { length = Int(value) }
            if name == "transfer-encoding" && value.contains("chunked") { isChunked = true }
            if name == "connection" && value == "close" { closes = true }
        }
        var body: [UInt8] = []
        var consumed = headEnd
        if isChunked {
            while true {
                let sizeEnd = try line(from: consumed)
                let sizeText = String(decoding: buffer[consumed..<(sizeEnd - 2)], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                    throw BootstrapError(message: "bad chunk size '\(sizeText)'")
                }
                try need(sizeEnd + size + 2)
                body.append(contentsOf: buffer[sizeEnd..<(sizeEnd + size)])
                consumed = sizeEnd + size + 2
                if size == 0 { break }  // no trailers are sent
            }
        } else {
            let count = length ?? 0
            try need(headEnd + count)
            body = Array(buffer[headEnd..<(headEnd + count)])
            consumed = headEnd + count
        }
        buffer.removeFirst(consumed)
        if closes {
            close(fd)
            fd = -1
        }
        return (status, body)
    }
}
