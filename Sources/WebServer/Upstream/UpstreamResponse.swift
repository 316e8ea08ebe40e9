import Foundation

/// An upstream server's answer, read whole.
public struct UpstreamResponse: Sendable {
    /// The status code.
    public var status: Int
    /// The header fields in order, names as sent.
    public var headers: [(name: String, value: String)]
    /// The body (de-chunked).
    public var body: [UInt8]

    /// The first value of header `name` (ASCII case-insensitive, without allocating).
    public func header(_ name: String) -> String? {
        headers.first { UpstreamResponseParser.equalsIgnoringCase($0.name.utf8, name.utf8) }?.value
    }
}

/// Why an upstream request failed.
public struct UpstreamError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        /// Could not connect, or the connection broke before an answer (the request may be tried elsewhere).
        case unreachable
        /// No whole answer before the deadline.
        case timedOut
        /// The answer was not HTTP/1.1 we can read, or too large.
        case badResponse
        /// Not called from an event loop's thread (use another client there).
        case notOnEventLoop
    }

    /// What went wrong.
    public var kind: Kind
    /// In words.
    public var message: String

    /// A description for logs and problem documents.
    public var description: String { message }
}

/// Reads an HTTP/1.1 response from the bytes received so far: Content-Length, chunked, or (without either) up to
/// the end of the stream. Stateless between calls: `parse` looks at the whole buffer each time (answers are small).
enum UpstreamResponseParser {
    /// A parsed response and whether the connection may carry another request; nil while incomplete.
    static func parse(_ buffer: [UInt8], atEnd: Bool, maxBodyBytes: Int) throws(UpstreamError) -> (response: UpstreamResponse, keepAlive: Bool)? {
        guard let headEnd = find([13, 10, 13, 10], in: buffer, from: 0) else {
            if buffer.count > 64 << 10 { throw UpstreamError(kind: .badResponse, message: "the answer's head is over 64 KiB") }
            if atEnd { throw UpstreamError(kind: .unreachable, message: "the connection closed before an answer") }
            return nil
        }
        // The status line: "HTTP/1.x NNN reason".
        let statusEnd = find([13, 10], in: buffer, from: 0) ?? headEnd
        guard statusEnd >= 12, buffer[0..<7].elementsEqual("HTTP/1.".utf8), buffer[8] == 0x20,
            buffer[9..<12].allSatisfy({ (0x30...0x39).contains($0) })
        else {
            throw UpstreamError(kind: .badResponse, message: "not an HTTP/1.1 answer: \(String(decoding: buffer[0..<min(statusEnd, 80)], as: UTF8.self))")
        }
        let status = buffer[9..<12].reduce(0) { $0 * 10 + Int($1 - 0x30) }
        var headers: [(name: String, value: String)] = []
        var length: Int?
        var isChunked = false
        var keepAlive = buffer[7] == UInt8(ascii: "1")
        var lineStart = statusEnd + 2
        while lineStart < headEnd {
            let lineEnd = find([13, 10], in: buffer, from: lineStart) ?? headEnd
            defer { lineStart = lineEnd + 2 }
            guard let colon = buffer[lineStart..<lineEnd].firstIndex(of: UInt8(ascii: ":")) else { continue }
            var valueStart = colon + 1
            while valueStart < lineEnd, buffer[valueStart] == 0x20 || buffer[valueStart] == 0x09 { valueStart += 1 }
            var valueEnd = lineEnd
            while valueEnd > valueStart, buffer[valueEnd - 1] == 0x20 || buffer[valueEnd - 1] == 0x09 { valueEnd -= 1 }
            let name = buffer[lineStart..<colon]
            let value = buffer[valueStart..<valueEnd]
            if equalsIgnoringCase(name, "content-length".utf8) {
                length = value.isEmpty || !value.allSatisfy({ (0x30...0x39).contains($0) }) ? nil : value.reduce(0) { $0 &* 10 &+ Int($1 - 0x30) }
            } else if equalsIgnoringCase(name, "transfer-encoding".utf8) {
                isChunked = String(decoding: value, as: UTF8.self).lowercased().contains("chunked")
            } else if equalsIgnoringCase(name, "connection".utf8) {
                if equalsIgnoringCase(value, "close".utf8) { keepAlive = false } else if equalsIgnoringCase(value, "keep-alive".utf8) { keepAlive = true }
            }
            headers.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
        let bodyStart = headEnd + 4
        if isChunked {
            guard let body = try dechunk(buffer, from: bodyStart, maxBodyBytes: maxBodyBytes) else {
                if atEnd { throw UpstreamError(kind: .unreachable, message: "the connection closed mid-answer") }
                return nil
            }
            return (UpstreamResponse(status: status, headers: headers, body: body), keepAlive)
        }
        if let length {
            guard length <= maxBodyBytes else { throw UpstreamError(kind: .badResponse, message: "the answer's body is over \(maxBodyBytes) bytes") }
            guard buffer.count - bodyStart >= length else {
                if atEnd { throw UpstreamError(kind: .unreachable, message: "the connection closed mid-answer") }
                return nil
            }
            return (UpstreamResponse(status: status, headers: headers, body: Array(buffer[bodyStart..<(bodyStart + length)])), keepAlive)
        }
        if status == 204 || status == 304 || (100..<200).contains(status) {
            return (UpstreamResponse(status: status, headers: headers, body: []), keepAlive)
        }
        guard atEnd else {
            if buffer.count - bodyStart > maxBodyBytes { throw UpstreamError(kind: .badResponse, message: "the answer's body is over \(maxBodyBytes) bytes") }
            return nil
        }
        return (UpstreamResponse(status: status, headers: headers, body: Array(buffer[bodyStart...])), false)
    }

    /// The body of a chunked message starting at `start`, or nil while incomplete.
    private static func dechunk(_ buffer: [UInt8], from start: Int, maxBodyBytes: Int) throws(UpstreamError) -> [UInt8]? {
        var body: [UInt8] = []
        var index = start
        while true {
            guard let lineEnd = find([13, 10], in: buffer, from: index) else { return nil }
            let sizeText = String(decoding: buffer[index..<lineEnd], as: UTF8.self).split(separator: ";").first.map(String.init) ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
                throw UpstreamError(kind: .badResponse, message: "a bad chunk size in the answer")
            }
            index = lineEnd + 2
            if size == 0 {
                // Trailers (none expected) end with an empty line.
                guard let end = find([13, 10], in: buffer, from: index) else { return nil }
                _ = end
                return body
            }
            guard body.count + size <= maxBodyBytes else { throw UpstreamError(kind: .badResponse, message: "the answer's body is over \(maxBodyBytes) bytes") }
            guard buffer.count >= index + size + 2 else { return nil }
            body += buffer[index..<(index + size)]
            index += size + 2
        }
    }

    /// Whether two ASCII byte sequences are equal ignoring letter case.
    static func equalsIgnoringCase(_ left: some Collection<UInt8>, _ right: some Collection<UInt8>) -> Bool {
        guard left.count == right.count else { return false }
        return zip(left, right).allSatisfy { a, b in a == b || (a | 0x20 == b | 0x20 && (0x61...0x7A).contains(a | 0x20)) }
    }

    /// The index of `needle` in `haystack` at or after `from`.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
        var index = from
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0] && haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
