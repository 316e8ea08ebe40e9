/// An error from ``HTTPClient``.
///
/// The ``description`` names the ``Code`` and the libcurl message (which carries host names but no secrets: request
/// headers and bodies never appear in it). The throwing site appears only in ``debugDescription``.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong. A struct rather than an enum so that new codes can be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidRequest
            case connectFailed
            case timedOut
            case tlsFailed
            case transferFailed
            case responseTooLarge
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// The request could not be set up (malformed URL, unsupported scheme, header with a line break).
        public static let invalidRequest = Code(.invalidRequest)
        /// Name resolution or the TCP connection failed.
        public static let connectFailed = Code(.connectFailed)
        /// The connect timeout or the total timeout passed.
        public static let timedOut = Code(.timedOut)
        /// The TLS handshake failed or the server certificate did not verify.
        public static let tlsFailed = Code(.tlsFailed)
        /// Sending or receiving failed part-way (connection reset, malformed response, aborted transfer).
        public static let transferFailed = Code(.transferFailed)
        /// A collected response body was longer than the caller's limit.
        public static let responseTooLarge = Code(.responseTooLarge)

        /// The code's name, e.g. `timedOut`.
        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// libcurl's message (its error buffer, or `curl_easy_strerror`), or our own explanation.
    public let message: String
    /// The libcurl result code, when libcurl reported the failure.
    public let curlCode: Int?
    private let file: String
    private let line: Int

    /// Creates an error; `file` and `line` record the throwing site for ``debugDescription``.
    package init(_ code: Code, message: String, curlCode: Int? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.curlCode = curlCode
        self.file = file
        self.line = line
    }

    /// `HTTP request failed (<code>): <message>`.
    public var description: String { "HTTP request failed (\(code)): \(message)" }

    /// The description plus the curl code and the throwing site.
    public var debugDescription: String {
        "HTTPClientError(\(code), curl: \(curlCode.map(String.init) ?? "-"), \"\(message)\", at \(file):\(line))"
    }
}
