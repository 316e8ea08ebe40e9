import HTTPTypes

/// An incremental HTTP/1.1 request parser (RFC 9112) that owns its input buffer.
///
/// Feed bytes with ``feed(_:)`` and pull events with ``next()``. Events come in the order
/// `head`, zero or more `body`, `end`, then the next request's `head` (pipelining). The parser never
/// reads past the current request until ``next()`` is called again, so the caller controls back-pressure.
/// It rejects ambiguous framing (request smuggling) instead of guessing.
struct HTTPRequestParser {
    /// What the parser produced.
    enum Event: Equatable {
        case head(HTTPRequestHeadBox)
        case body([UInt8])
        case end
    }

    private enum State {
        case requestLine
        case headers
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case endOfMessage
    }

    private let limits: HTTPServerLimits
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var state = State.requestLine
    /// The body limit for the current request; the caller may raise it per route after the head.
    var bodyLimit: Int
    private var bodyBytesSeen = 0
    private var headerBytesSeen = 0
    private var partial = PartialHead()

    init(limits: HTTPServerLimits) {
        self.limits = limits
        self.bodyLimit = limits.maxBodySize
    }

    /// Bytes received but not yet turned into events.
    var bufferedByteCount: Int { buffer.count - readIndex }

    /// Whether the parser is between requests with nothing buffered.
    var isIdle: Bool {
        if case .requestLine = state { return bufferedByteCount == 0 }
        return false
    }

    /// Whether the parser is in the middle of a request head (used for the header deadline).
    var isReadingHead: Bool {
        switch state {
        case .requestLine: bufferedByteCount > 0
        case .headers: true
        default: false
        }
    }

    /// Appends received bytes.
    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        if readIndex > 0 && readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex > 64 * 1024 && readIndex * 2 > buffer.count {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Returns the next event, or nil when more bytes are needed.
    mutating func next() throws(HTTPParseError) -> Event? {
        while true {
            switch state {
            case .requestLine:
                guard let line = try takeLine(limit: limits.maxRequestLineLength, tooLong: .requestLineTooLong) else { return nil }
                if line.isEmpty {
                    if partial.skippedEmptyLines >= 1 { throw HTTPParseError(.malformed, "empty request line") }
                    partial.skippedEmptyLines += 1
                    continue
                }
                try partial.parseRequestLine(buffer[line])
                headerBytesSeen = 0
                state = .headers
            case .headers:
                guard let line = try takeHeaderLine() else { return nil }
                if line.isEmpty {
                    let head = try partial.finish()
                    partial = PartialHead()
                    bodyBytesSeen = 0
                    bodyLimit = limits.maxBodySize
                    switch head.framing {
                    case .none, .contentLength(0): state = .endOfMessage
                    case .contentLength(let length): state = .fixedBody(remaining: length)
                    case .chunked: state = .chunkSize
                    }
                    return .head(HTTPRequestHeadBox(head))
                }
                if partial.fieldCount >= limits.maxHeaderCount { throw HTTPParseError(.headersTooLarge, "too many header fields") }
                try partial.addField(buffer[line])
            case .fixedBody(let remaining):
                if bodyBytesSeen + remaining > bodyLimit {
                    throw HTTPParseError(.bodyTooLarge, "request body exceeds \(bodyLimit) bytes")
                }
                let available = min(remaining, bufferedByteCount)
                guard available > 0 else { return nil }
                let chunk = Array(buffer[readIndex..<readIndex + available])
                readIndex += available
                bodyBytesSeen += available
                state = available == remaining ? .endOfMessage : .fixedBody(remaining: remaining - available)
                return .body(chunk)
            case .chunkSize:
                guard let line = try takeLine(limit: 1024, tooLong: .malformed) else { return nil }
                let size = try Self.parseChunkSize(buffer[line])
                if size == 0 {
                    headerBytesSeen = 0
                    state = .trailers
                    continue
                }
                guard bodyBytesSeen + size <= bodyLimit else { throw HTTPParseError(.bodyTooLarge, "request body exceeds \(bodyLimit) bytes") }
                state = .chunkData(remaining: size)
            case .chunkData(let remaining):
                let available = min(remaining, bufferedByteCount)
                guard available > 0 else { return nil }
                let chunk = Array(buffer[readIndex..<readIndex + available])
                readIndex += available
                bodyBytesSeen += available
                state = available == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - available)
                return .body(chunk)
            case .chunkDataEnd:
                guard bufferedByteCount >= 2 else { return nil }
                guard buffer[readIndex] == UInt8(ascii: "\r"), buffer[readIndex + 1] == UInt8(ascii: "\n") else {
                    throw HTTPParseError(.malformed, "chunk data not followed by CRLF")
                }
                readIndex += 2
                state = .chunkSize
            case .trailers:
                guard let line = try takeHeaderLine() else { return nil }
                if line.isEmpty {
                    state = .endOfMessage
                    continue
                }
                // Trailer fields are checked for syntax and limits, then dropped (RFC 9110 §6.5.1 lets us ignore them).
                var trailer = PartialHead()
                try trailer.addField(buffer[line])
            case .endOfMessage:
                state = .requestLine
                return .end
            }
        }
    }

    /// Finds the next CRLF-terminated line; returns the range without CRLF and consumes it.
    private mutating func takeLine(limit: Int, tooLong: HTTPParseError.Code) throws(HTTPParseError) -> Range<Int>? {
        let start = readIndex
        let end = buffer.count
        let searchEnd = min(end, start + limit + 2)
        var lf = -1
        buffer.withUnsafeBufferPointer { bytes in
            var i = start
            while i < searchEnd {
                if bytes[i] == 0x0A { lf = i; break }
                i += 1
            }
        }
        if lf < 0 {
            if end - start > limit + 1 {
                throw HTTPParseError(tooLong, tooLong == .requestLineTooLong ? "request line too long" : "line too long")
            }
            return nil
        }
        guard lf > start, buffer[lf - 1] == 0x0D else { throw HTTPParseError(.malformed, "line not terminated by CRLF") }
        let lineEnd = lf - 1
        for i in start..<lineEnd where buffer[i] == 0x0D {
            throw HTTPParseError(.malformed, "bare CR")
        }
        readIndex = lf + 1
        return start..<lineEnd
    }

    private mutating func takeHeaderLine() throws(HTTPParseError) -> Range<Int>? {
        let remainingBudget = limits.maxHeaderBytes - headerBytesSeen
        guard remainingBudget > 0 else { throw HTTPParseError(.headersTooLarge, "header section too large") }
        let before = readIndex
        guard let line = try takeLine(limit: remainingBudget, tooLong: .headersTooLarge) else { return nil }
        headerBytesSeen += readIndex - before
        if headerBytesSeen > limits.maxHeaderBytes { throw HTTPParseError(.headersTooLarge, "header section too large") }
        return line
    }

    private static func parseChunkSize(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        var size = 0
        var digits = 0
        for index in line.indices {
            let byte = line[index]
            let value: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = Int(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = Int(byte - UInt8(ascii: "A") + 10)
            case UInt8(ascii: ";"), UInt8(ascii: " "), UInt8(ascii: "\t"):
                // Chunk extensions (RFC 9112 §7.1.1: *( BWS ";" ... )) are allowed and ignored, but only
                // whitespace followed by ";" may come after the size: "5 junk" is not a chunk size.
                guard digits > 0, line[index...].first(where: { !HTTPSyntax.isWhitespace($0) }) == UInt8(ascii: ";") else {
                    throw HTTPParseError(.malformed, "invalid chunk size")
                }
                return size
            default:
                throw HTTPParseError(.malformed, "invalid chunk size")
            }
            digits += 1
            guard digits <= 15 else { throw HTTPParseError(.malformed, "chunk size too large") }
            size = size << 4 | value
        }
        guard digits > 0 else { throw HTTPParseError(.malformed, "missing chunk size") }
        return size
    }
}

/// A reference wrapper so ``HTTPRequestParser/Event`` stays cheap to move and can be `Equatable` in tests.
final class HTTPRequestHeadBox: Equatable, @unchecked Sendable {
    // Immutable after init.
    let head: HTTPRequestHead
    init(_ head: HTTPRequestHead) { self.head = head }
    static func == (lhs: HTTPRequestHeadBox, rhs: HTTPRequestHeadBox) -> Bool {
        lhs.head.target == rhs.head.target && lhs.head.method == rhs.head.method && lhs.head.headerFields == rhs.head.headerFields
    }
}
