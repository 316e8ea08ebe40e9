public import HTTPTypes

/// Why a request could not be parsed. Each case maps to the status the server answers before closing.
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kinds of parse failure.
    public enum Code: Sendable, Equatable {
        /// Malformed request line, header, framing or chunk (400).
        case malformed
        /// Request line longer than the limit (414).
        case requestLineTooLong
        /// Header section or field count over the limit (431).
        case headersTooLarge
        /// Body over the limit (413).
        case bodyTooLarge
        /// A transfer coding other than `chunked` (501).
        case unsupportedTransferEncoding
        /// An HTTP version other than 1.0 or 1.1 (505).
        case unsupportedVersion
        /// The client was too slow sending the head or body (408).
        case requestTimeout
    }

    /// What went wrong.
    public let code: Code
    /// A short explanation safe to show to the client (no internal detail).
    public let reason: String

    /// Creates an error with a client-safe reason.
    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    /// The status the server answers with.
    public var status: HTTPResponse.Status {
        switch code {
        case .malformed: .badRequest
        case .requestLineTooLong: .init(code: 414, reasonPhrase: "URI Too Long")
        case .headersTooLarge: .init(code: 431, reasonPhrase: "Request Header Fields Too Large")
        case .bodyTooLarge: .contentTooLarge
        case .unsupportedTransferEncoding: .init(code: 501, reasonPhrase: "Not Implemented")
        case .unsupportedVersion: .init(code: 505, reasonPhrase: "HTTP Version Not Supported")
        case .requestTimeout: .requestTimeout
        }
    }

    /// The status and reason, e.g. `400: bare CR in header`.
    public var description: String { "\(status.code): \(reason)" }
}
