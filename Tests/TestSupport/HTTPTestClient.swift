#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A raw-socket HTTP/1.1 client for tests: it sends exactly the bytes it is given and reads responses
/// with a deadline on every wait, so a test can speak broken HTTP and can never hang.
///
/// The socket is non-blocking; waits use `poll(2)` in slices of at most 10 ms between `Task.yield()`s,
/// so a waiting test holds a cooperative thread for 10 ms at a time at most. Bytes read beyond the
/// current response stay buffered for the next read (pipelining).
///
/// Not thread-safe: use one client from one task. ``close()`` it when done; `deinit` closes it too,
/// so a test that fails halfway does not leak the descriptor.
public final class HTTPTestClient {
    /// The connected socket, or -1 once closed.
    public private(set) var fileDescriptor: Int32
    /// The deadline used when a call passes no timeout (default 5 s).
    public var defaultTimeout: Duration
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var isEndOfStream = false

    private init(fileDescriptor: Int32, defaultTimeout: Duration) {
        self.fileDescriptor = fileDescriptor
        self.defaultTimeout = defaultTimeout
    }

    deinit {
        if fileDescriptor >= 0 { _ = Glibc.close(fileDescriptor) }
    }

    /// Connects to `host:port` over TCP.
    /// - Parameters:
    ///   - host: a numeric IPv4 address (default `127.0.0.1`).
    ///   - port: the server's port.
    ///   - timeout: how long to wait for the connection, and the default for later calls (default 5 s).
    /// - Throws: ``HTTPTestClientError/socket(call:errno:)`` (for example `ECONNREFUSED`) or ``HTTPTestClientError/timedOut(_:)``.
    public static func connect(host: String = "127.0.0.1", port: Int, timeout: Duration = .seconds(5)) async throws -> HTTPTestClient {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HTTPTestClientError.socket(call: "socket", errno: errno) }
        let client = HTTPTestClient(fileDescriptor: fd, defaultTimeout: timeout)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw HTTPTestClientError.socket(call: "inet_pton", errno: EINVAL) }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0 {
            let code = errno
            guard code == EINPROGRESS || code == EINTR else { throw HTTPTestClientError.socket(call: "connect", errno: code) }
            try await client.wait(for: Int16(POLLOUT), deadline: .now + timeout, what: "connect")
            var socketError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length)
            guard socketError == 0 else { throw HTTPTestClientError.socket(call: "connect", errno: socketError) }
        }
        return client
    }

    /// Whether ``close()`` or ``reset()`` has been called.
    public var isClosed: Bool { fileDescriptor < 0 }

    // MARK: Sending

    /// Sends all of `bytes`, waiting while the socket buffer is full.
    /// - Throws: ``HTTPTestClientError/socket(call:errno:)`` when the peer is gone (`EPIPE`, `ECONNRESET`), or a timeout.
    public func send(_ bytes: [UInt8], timeout: Duration? = nil) async throws {
        let deadline = ContinuousClock.now + (timeout ?? defaultTimeout)
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { raw in
                Glibc.send(fileDescriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if count >= 0 {
                offset += count
                continue
            }
            let code = errno
            switch code {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try await wait(for: Int16(POLLOUT), deadline: deadline, what: "send")
            default: throw HTTPTestClientError.socket(call: "send", errno: code)
            }
        }
    }

    /// Sends the UTF-8 bytes of `text`.
    public func send(_ text: String, timeout: Duration? = nil) async throws {
        try await send(Array(text.utf8), timeout: timeout)
    }

    /// Sends `bytes` and reports whether all of them went out; a server that already answered and closed is not an error here.
    @discardableResult
    public func sendIgnoringErrors(_ bytes: [UInt8], timeout: Duration? = nil) async -> Bool {
        do {
            try await send(bytes, timeout: timeout)
            return true
        } catch {
            return false
        }
    }

    /// Closes the sending direction (`shutdown(SHUT_WR)`): the server reads end-of-stream, we can still read.
    public func shutdownWrite() {
        _ = Glibc.shutdown(fileDescriptor, Int32(SHUT_WR))
    }

    // MARK: Receiving

    /// Returns some received bytes (buffered ones first), or an empty array at end of stream.
    /// A connection reset by the server also counts as end of stream, after any bytes that arrived before it.
    /// - Throws: ``HTTPTestClientError/timedOut(_:)`` when nothing arrives in time.
    public func receive(timeout: Duration? = nil) async throws -> [UInt8] {
        if readIndex < buffer.count {
            defer { consumeAll() }
            return Array(buffer[readIndex...])
        }
        guard try await fill(deadline: .now + (timeout ?? defaultTimeout), what: "receive") else { return [] }
        defer { consumeAll() }
        return Array(buffer[readIndex...])
    }

    /// Waits until the server closes the connection, discarding anything it still sends.
    /// - Returns: the bytes that arrived before end of stream.
    /// - Throws: ``HTTPTestClientError/timedOut(_:)`` when the connection is still open at the deadline.
    public func readUntilClosed(timeout: Duration? = nil) async throws -> [UInt8] {
        let deadline = ContinuousClock.now + (timeout ?? defaultTimeout)
        while try await fill(deadline: deadline, what: "end of stream") {}
        defer { consumeAll() }
        return Array(buffer[readIndex...])
    }

    /// Whether the server closes the connection before `timeout` (any bytes it sends first are discarded).
    public func isClosedByPeer(within timeout: Duration) async -> Bool {
        do {
            _ = try await readUntilClosed(timeout: timeout)
            return true
        } catch {
            return false
        }
    }

    /// Reads one complete response: head, then a body framed by `Content-Length`, chunked encoding, or end of stream.
    /// - Parameters:
    ///   - isHeadRequest: the response answers a HEAD request, so no body follows whatever the head says.
    ///   - maxBodyBytes: fail instead of buffering a larger body (default 64 MiB).
    /// - Returns: the response; a `1xx` interim response is returned like any other, so call again for the final one.
    public func readResponse(timeout: Duration? = nil, isHeadRequest: Bool = false, maxBodyBytes: Int = 64 << 20) async throws -> HTTPTestResponse {
        let deadline = ContinuousClock.now + (timeout ?? defaultTimeout)
        var response = try await readHead(deadline: deadline)
        switch response.framing(isHeadRequest: isHeadRequest) {
        case .none:
            break
        case .length(let length):
            guard length <= maxBodyBytes else { throw HTTPTestClientError.malformedResponse("Content-Length \(length) over limit") }
            response.body = try await readExactly(length, deadline: deadline)
        case .chunked:
            while let chunk = try await readChunk(deadline: deadline) {
                response.body += chunk
                guard response.body.count <= maxBodyBytes else { throw HTTPTestClientError.malformedResponse("chunked body over limit") }
            }
        case .untilClose:
            while try await fill(deadline: deadline, what: "body until close") {
                guard buffer.count - readIndex <= maxBodyBytes else { throw HTTPTestClientError.malformedResponse("body over limit") }
            }
            response.body = Array(buffer[readIndex...])
            consumeAll()
        }
        return response
    }

    /// Reads only the status line and header fields of the next response (for reading a streamed body with ``readChunk(timeout:)``).
    public func readResponseHead(timeout: Duration? = nil) async throws -> HTTPTestResponse {
        try await readHead(deadline: .now + (timeout ?? defaultTimeout))
    }

    /// Reads the next chunk of a chunked body whose head came from ``readResponseHead(timeout:)``.
    /// - Returns: the chunk's data, or nil after the last chunk and its trailers.
    public func readChunk(timeout: Duration? = nil) async throws -> [UInt8]? {
        try await readChunk(deadline: .now + (timeout ?? defaultTimeout))
    }

    // MARK: Closing

    /// Closes the socket normally (FIN). Safe to call twice.
    public func close() {
        guard fileDescriptor >= 0 else { return }
        _ = Glibc.close(fileDescriptor)
        fileDescriptor = -1
    }

    /// Closes the socket abruptly: `SO_LINGER` with a zero timeout makes the kernel send RST instead of FIN.
    public func reset() {
        guard fileDescriptor >= 0 else { return }
        var option = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fileDescriptor, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        close()
    }

    // MARK: Internals

    private func consumeAll() {
        buffer.removeAll(keepingCapacity: true)
        readIndex = 0
    }

    /// Reads more bytes into the buffer; false at end of stream.
    private func fill(deadline: ContinuousClock.Instant, what: String) async throws -> Bool {
        guard fileDescriptor >= 0 else { throw HTTPTestClientError.socket(call: "recv", errno: EBADF) }
        if isEndOfStream { return false }
        if readIndex > 0 && readIndex == buffer.count { consumeAll() }
        var scratch = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = scratch.withUnsafeMutableBytes { Glibc.recv(fileDescriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer.append(contentsOf: scratch[0..<count])
                return true
            }
            if count == 0 {
                isEndOfStream = true
                return false
            }
            let code = errno
            switch code {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try await wait(for: Int16(POLLIN), deadline: deadline, what: what)
            case ECONNRESET, EPIPE:
                isEndOfStream = true
                return false
            default: throw HTTPTestClientError.socket(call: "recv", errno: code)
            }
        }
    }

    private func wait(for events: Int16, deadline: ContinuousClock.Instant, what: String) async throws {
        while true {
            try Task.checkCancellation()
            let remaining = deadline - .now
            guard remaining > .zero else { throw HTTPTestClientError.timedOut(what) }
            let milliseconds = min(10, max(1, Int32(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000)))
            var descriptor = pollfd(fd: fileDescriptor, events: events, revents: 0)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready > 0 { return }
            if ready < 0 && errno != EINTR { throw HTTPTestClientError.socket(call: "poll", errno: errno) }
            await Task.yield()
        }
    }

    private func readLine(deadline: ContinuousClock.Instant, limit: Int = 64 * 1024) async throws -> [UInt8] {
        // Relative to readIndex: fill() may compact the buffer and move readIndex.
        var searched = 0
        while true {
            if let lf = buffer[(readIndex + searched)...].firstIndex(of: 0x0A) {
                guard lf > readIndex, buffer[lf - 1] == 0x0D else { throw HTTPTestClientError.malformedResponse("line not ended by CRLF") }
                let line = Array(buffer[readIndex..<(lf - 1)])
                readIndex = lf + 1
                return line
            }
            guard buffer.count - readIndex <= limit else { throw HTTPTestClientError.malformedResponse("line too long") }
            searched = buffer.count - readIndex
            guard try await fill(deadline: deadline, what: "response line") else { throw HTTPTestClientError.connectionClosed }
        }
    }

    private func readExactly(_ count: Int, deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        while buffer.count - readIndex < count {
            guard try await fill(deadline: deadline, what: "\(count)-byte body") else { throw HTTPTestClientError.connectionClosed }
        }
        defer { readIndex += count }
        return Array(buffer[readIndex..<(readIndex + count)])
    }

    private func readHead(deadline: ContinuousClock.Instant) async throws -> HTTPTestResponse {
        let statusLine = String(decoding: try await readLine(deadline: deadline), as: UTF8.self)
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let code = Int(parts[1]), (100...999).contains(code) else {
            throw HTTPTestClientError.malformedResponse("bad status line \(statusLine.debugDescription)")
        }
        var fields: [(name: String, value: String)] = []
        while true {
            let line = try await readLine(deadline: deadline)
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { throw HTTPTestClientError.malformedResponse("header line without colon") }
            let name = String(decoding: line[..<colon], as: UTF8.self)
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: " \t")
            fields.append((name, value))
            guard fields.count <= 1000 else { throw HTTPTestClientError.malformedResponse("too many header fields") }
        }
        return HTTPTestResponse(
            version: String(parts[0]),
            statusCode: code,
            reasonPhrase: parts.count > 2 ? String(parts[2]) : "",
            headerFields: fields,
            body: []
        )
    }

    private func readChunk(deadline: ContinuousClock.Instant) async throws -> [UInt8]? {
        let sizeLine = try await readLine(deadline: deadline, limit: 1024)
        let sizeText = String(decoding: sizeLine.prefix { $0 != UInt8(ascii: ";") }, as: UTF8.self).trimmingCharacters(in: " \t")
        guard let size = Int(sizeText, radix: 16), size >= 0 else {
            throw HTTPTestClientError.malformedResponse("bad chunk size \(sizeText.debugDescription)")
        }
        if size == 0 {
            while try await !readLine(deadline: deadline).isEmpty {}  // trailers
            return nil
        }
        let data = try await readExactly(size, deadline: deadline)
        guard try await readLine(deadline: deadline).isEmpty else { throw HTTPTestClientError.malformedResponse("chunk not followed by CRLF") }
        return data
    }
}

/// A response as ``HTTPTestClient`` read it off the wire.
public struct HTTPTestResponse: Sendable {
    /// The version from the status line, e.g. `HTTP/1.1`.
    public var version: String
    /// The status code, e.g. 200.
    public var statusCode: Int
    /// The reason phrase (may be empty).
    public var reasonPhrase: String
    /// Header fields in the order received, names as sent.
    public var headerFields: [(name: String, value: String)]
    /// The body with any chunked framing removed.
    public var body: [UInt8]

    /// The first value of the field `name` (case-insensitive), if present.
    public func header(_ name: String) -> String? {
        headerFields.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Every value of the field `name` (case-insensitive), in order.
    public func headers(named name: String) -> [String] {
        headerFields.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    /// The body decoded as UTF-8 (invalid bytes replaced).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// Whether the response says the server will close the connection (`Connection: close`).
    public var isConnectionClose: Bool {
        headers(named: "Connection").flatMap { $0.split(separator: ",") }.contains { $0.trimmingCharacters(in: " \t").lowercased() == "close" }
    }

    enum Framing {
        case none
        case length(Int)
        case chunked
        case untilClose
    }

    func framing(isHeadRequest: Bool) -> Framing {
        if isHeadRequest || (100..<200).contains(statusCode) || statusCode == 204 || statusCode == 304 { return .none }
        if let encoding = header("Transfer-Encoding"), encoding.lowercased().contains("chunked") { return .chunked }
        if let length = header("Content-Length").flatMap({ Int($0) }) { return .length(length) }
        return .untilClose
    }
}

/// Why an ``HTTPTestClient`` call failed.
public enum HTTPTestClientError: Error, Sendable, CustomStringConvertible {
    /// Nothing happened before the deadline; the associated value says what was awaited.
    case timedOut(String)
    /// The server closed the connection in the middle of a response.
    case connectionClosed
    /// The server sent something that is not HTTP/1.1 as this client understands it.
    case malformedResponse(String)
    /// A socket call failed with `errno`.
    case socket(call: String, errno: Int32)

    /// A short explanation.
    public var description: String {
        switch self {
        case .timedOut(let what): "timed out waiting for \(what)"
        case .connectionClosed: "connection closed mid-response"
        case .malformedResponse(let why): "malformed response: \(why)"
        case .socket(let call, let code): "\(call): \(String(cString: strerror(code))) (errno \(code))"
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice.removeFirst() }
        while let last = slice.last, set.contains(last) { slice.removeLast() }
        return String(slice)
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String { String(self).trimmingCharacters(in: set) }
}

/// Process-level helpers for tests that open many sockets.
public enum TestProcess {
    /// Raises the soft `RLIMIT_NOFILE` to at least `minimum` (capped at the hard limit).
    /// - Returns: the soft limit now in force.
    @discardableResult
    public static func raiseOpenFileLimit(to minimum: Int) -> Int {
        var limits = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits) == 0 else { return 0 }
        if limits.rlim_cur < rlim_t(minimum) {
            limits.rlim_cur = min(rlim_t(minimum), limits.rlim_max)
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits)
            _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits)
        }
        return Int(limits.rlim_cur)
    }
}
