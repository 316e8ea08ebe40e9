/// Status and header fields of a response, available before its body.
public struct HTTPResponseHead: Sendable {
    /// The status code, e.g. 200.
    public var status: Int
    /// Header fields in the order received.
    public var headers: [(name: String, value: String)]

    /// Creates a head.
    public init(status: Int, headers: [(name: String, value: String)]) {
        self.status = status
        self.headers = headers
    }

    /// The first value of the header field `name` (compared case-insensitively), or nil.
    public subscript(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}

/// The body of a response as chunks, in order, each non-empty. Single pass: iterate it once.
///
/// The client buffers at most ``HTTPClient/Configuration/responseBufferBytes`` ahead of the consumer; while the
/// consumer is slow the transfer waits. The sequence ends after the last byte once the transfer has succeeded,
/// and throws an ``HTTPClientError`` when it failed part-way.
public struct HTTPResponseBody: AsyncSequence, Sendable {
    /// The chunk type.
    public typealias Element = [UInt8]
    /// The error type.
    public typealias Failure = any Error

    let pipe: ResponseBodyPipe

    /// Creates an iterator; the body is single-pass, so make only one.
    public func makeAsyncIterator() -> Iterator {
        Iterator(pipe: pipe)
    }

    /// Iterates the chunks.
    public struct Iterator: AsyncIteratorProtocol {
        let pipe: ResponseBodyPipe

        /// The next chunk, or nil at the end of a complete body.
        public mutating func next() async throws -> [UInt8]? {
            try await pipe.next()
        }
    }

    /// Reads the whole body into memory.
    /// - Parameters:
    ///   - maxBytes: the most bytes accepted; a longer body throws ``HTTPClientError/Code/responseTooLarge``.
    public func collect(upTo maxBytes: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in self {
            guard bytes.count + chunk.count <= maxBytes else {
                throw HTTPClientError(.responseTooLarge, message: "the response body is longer than \(maxBytes) bytes")
            }
            bytes += chunk
        }
        return bytes
    }
}

/// A response whose body was read into memory (``HTTPClient/execute(_:maxBodyBytes:)``).
public struct HTTPClientResponse: Sendable {
    /// Status and header fields.
    public var head: HTTPResponseHead
    /// The whole body.
    public var body: [UInt8]

    /// The status code.
    public var status: Int { head.status }

    /// Creates a response.
    public init(head: HTTPResponseHead, body: [UInt8]) {
        self.head = head
        self.body = body
    }
}
