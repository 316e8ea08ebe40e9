import BlockingPool
import CCurl

/// An HTTP/1.1 (and HTTP/2 over TLS) client on libcurl, with streaming bodies in both directions.
///
/// Each request runs on one thread of a dedicated ``BlockingPool`` with that thread's curl easy handle (reset between
/// requests, so its connections are kept alive and reused): `curl_easy_perform` blocks that thread for the whole
/// exchange, never Swift's cooperative pool.
/// So at most ``Configuration/threadCount`` exchanges run at once and further ones queue; a response handler that
/// itself waits on another request of the same client needs a free thread for it.
///
/// Redirects are never followed (a 3xx is returned as is); TLS certificates are verified unless turned off.
public final class HTTPClient: Sendable {
    /// Settings for every request of one client.
    public struct Configuration: Sendable {
        /// Limit for name resolution plus the TCP and TLS handshakes. Default 10 s.
        public var connectTimeout: Duration
        /// Limit for a whole exchange, body streaming included; nil for none. Default 300 s.
        /// ``HTTPClientRequest/timeout`` overrides it per request.
        public var timeout: Duration?
        /// Whether the server certificate and host name are verified. Default true; turn off only in tests.
        public var isTLSVerificationEnabled: Bool
        /// A PEM file of CA certificates to trust instead of the system bundle. Default nil (the system bundle).
        public var caFile: String?
        /// Response bytes buffered ahead of a slow consumer before the transfer waits. Default 1 MiB.
        public var responseBufferBytes: Int
        /// Request bytes buffered ahead of curl before a streaming source waits. Default 1 MiB.
        public var requestBufferBytes: Int
        /// Threads of the client's own pool, i.e. exchanges at once. Default 8.
        public var threadCount: Int

        /// Creates a configuration; every parameter defaults as its property documents.
        public init(
            connectTimeout: Duration = .seconds(10),
            timeout: Duration? = .seconds(300),
            isTLSVerificationEnabled: Bool = true,
            caFile: String? = nil,
            responseBufferBytes: Int = 1 << 20,
            requestBufferBytes: Int = 1 << 20,
            threadCount: Int = 8
        ) {
            self.connectTimeout = connectTimeout
            self.timeout = timeout
            self.isTLSVerificationEnabled = isTLSVerificationEnabled
            self.caFile = caFile
            self.responseBufferBytes = responseBufferBytes
            self.requestBufferBytes = requestBufferBytes
            self.threadCount = threadCount
        }
    }

    /// The settings this client was made with.
    public let configuration: Configuration
    private let pool: BlockingPool

    /// Creates a client and starts its pool of ``Configuration/threadCount`` threads (stopped in `deinit`).
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        pool = BlockingPool(name: "falaj-http", threadCount: configuration.threadCount)
    }

    deinit {
        pool.shutdown()
    }

    /// Sends `request` and passes the response head and a streaming body to `handleResponse`.
    ///
    /// The head arrives once the server's headers are in, whatever the status. The body may be read partly or not
    /// at all; when the handler returns, the rest of the transfer is aborted. Errors thrown by a streaming request
    /// body's source are rethrown as they are.
    /// - Parameters:
    ///   - request: method, URL, headers and optional body.
    ///   - handleResponse: reads the response; its result is returned.
    /// - Throws: ``HTTPClientError`` when the exchange fails, or what `handleResponse` or the body source throw.
    public func execute<T: Sendable>(
        _ request: HTTPClientRequest,
        handleResponse: (HTTPResponseHead, HTTPResponseBody) async throws -> T
    ) async throws -> T {
        let prepared = try prepare(request)
        let response = ResponseBodyPipe(limit: configuration.responseBufferBytes)
        var requestBody: RequestBodyPipe?
        var source: (any AsyncSequence<[UInt8], any Error> & Sendable)?
        switch request.body {
        case .bytes(let bytes):
            requestBody = RequestBodyPipe(bytes: bytes)
        case .stream(let stream, _):
            requestBody = RequestBodyPipe(limit: configuration.requestBufferBytes)
            source = stream
        case nil:
            if case .upload = prepared.bodyMode { requestBody = RequestBodyPipe(bytes: []) }
        }
        let pool = pool
        let body = requestBody
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
            group.addTask {
                await pool.run { CurlTransfer.perform(prepared, response: response, requestBody: body) }
            }
            if let source, let body {
                group.addTask { await body.feed(from: source) }
            }
            do {
                let head = try await response.head()
                let value = try await handleResponse(head, HTTPResponseBody(pipe: response))
                response.cancel()  // aborts whatever body the handler left unread
                body?.close()
                try await group.waitForAll()
                return value
            } catch {
                response.cancel()
                body?.close()
                try? await group.waitForAll()
                throw error
            }
        }
    }

    /// Sends `request` and reads the whole response body into memory.
    /// - Parameters:
    ///   - request: method, URL, headers and optional body.
    ///   - maxBodyBytes: the longest body accepted (default 4 MiB); longer throws ``HTTPClientError/Code/responseTooLarge``.
    public func execute(_ request: HTTPClientRequest, maxBodyBytes: Int = 4 << 20) async throws -> HTTPClientResponse {
        try await execute(request) { head, body in
            HTTPClientResponse(head: head, body: try await body.collect(upTo: maxBodyBytes))
        }
    }

    private func prepare(_ request: HTTPClientRequest) throws(HTTPClientError) -> PreparedRequest {
        let lowerURL = request.url.lowercased()
        guard lowerURL.hasPrefix("http://") || lowerURL.hasPrefix("https://") else {
            throw HTTPClientError(.invalidRequest, message: "the URL must start with http:// or https://")
        }
        guard !request.method.isEmpty, request.method.allSatisfy({ $0.isLetter && $0.isASCII }) else {
            throw HTTPClientError(.invalidRequest, message: "'\(request.method)' is not an HTTP method")
        }
        var lines: [String] = []
        var hasExpect = false
        for (name, value) in request.headers {
            let isToken = !name.isEmpty && name.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 32 && $0 != ":" && $0.value != 127 }
            guard isToken, !value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
                throw HTTPClientError(.invalidRequest, message: "header '\(name)' has an invalid name or a line break in its value")
            }
            hasExpect = hasExpect || name.lowercased() == "expect"
            // curl drops "Name:" (empty value) unless written as "Name;".
            lines.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        if !hasExpect { lines.append("Expect:") }  // no 100-continue round trip before uploads

        let bodyMode: PreparedRequest.BodyMode
        switch request.body {
        case .bytes(let bytes): bodyMode = .upload(length: Int64(bytes.count))
        case .stream(_, let length): bodyMode = .upload(length: length)
        case nil:
            if request.method == "HEAD" {
                bodyMode = .head
            } else if request.method == "PUT" || request.method == "POST" {
                bodyMode = .upload(length: 0)
            } else {
                bodyMode = .none
            }
        }
        return PreparedRequest(
            method: request.method,
            url: request.url,
            headerLines: lines,
            bodyMode: bodyMode,
            connectTimeoutMilliseconds: Self.milliseconds(configuration.connectTimeout),
            timeoutMilliseconds: (request.timeout ?? configuration.timeout).map(Self.milliseconds) ?? 0,
            isTLSVerificationEnabled: configuration.isTLSVerificationEnabled,
            caFile: configuration.caFile
        )
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}

/// Facts about the linked libcurl.
public enum HTTPClientLibrary {
    /// The libcurl version this binary links, e.g. `7.88.1` (asks for CURLVERSION_TENTH, the struct layout of libcurl 7.88).
    public static var curlVersion: String {
        guard let info = curl_version_info(CURLversion(rawValue: 10)) else { return "unknown" }
        return String(cString: info.pointee.version)
    }
}
