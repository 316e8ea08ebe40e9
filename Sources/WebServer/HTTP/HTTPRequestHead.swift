public import HTTPTypes

/// How a request's body is delimited on the wire (RFC 9112 §6).
public enum HTTPBodyFraming: Sendable, Equatable {
    /// No body.
    case none
    /// Exactly this many bytes follow the head.
    case contentLength(Int)
    /// `Transfer-Encoding: chunked`.
    case chunked
}

/// A parsed request line and header section, before routing.
public struct HTTPRequestHead: Sendable {
    /// The request method.
    public var method: HTTPRequest.Method
    /// The request target exactly as sent (origin-form, absolute-form, authority-form or `*`).
    public var target: String
    /// The raw (still percent-encoded) path of the target; `*` for asterisk-form.
    public var rawPath: String
    /// The raw query string after `?`, without the `?`; nil when the target has none.
    public var rawQuery: String?
    /// The authority: from an absolute-form target, else the `Host` header.
    public var authority: String?
    /// Minor version of HTTP/1.x: 0 or 1.
    public var minorVersion: Int
    /// The header fields, in the order sent (duplicates kept).
    public var headerFields: HTTPFields
    /// How the body is framed.
    public var framing: HTTPBodyFraming
    /// Whether the client wants the connection kept open after this exchange.
    public var keepAlive: Bool
    /// Whether the client sent `Expect: 100-continue`.
    public var expectsContinue: Bool

    /// Whether a body follows the head.
    public var hasBody: Bool {
        switch framing {
        case .none, .contentLength(0): false
        default: true
        }
    }
}
