public import HTTPTypes

/// One HTTP request as handlers see it: head, decoded path and query, body, and routing results.
public struct Request: Sendable {
    /// The parsed head: method, target, version, header fields, framing.
    public let head: HTTPRequestHead
    /// The decoded path, e.g. `/api/v1/models/42` (percent-escapes resolved per segment).
    public let path: String
    /// The decoded path segments, e.g. `["api", "v1", "models", "42"]`.
    public let pathSegments: [String]
    /// The decoded query items in order (`+` read as space).
    public let queryItems: [QueryItem]
    /// The request body; read it once.
    public var body: RequestBody
    /// The request id: the client's `X-Request-Id` when it is a short token, otherwise generated. Echoed in the response.
    public let id: String
    /// The peer address as `ip:port`.
    public let remoteAddress: String
    /// Whether the request arrived over TLS.
    public let isSecure: Bool
    /// Values captured by the route pattern (`:id` → `parameters["id"]`), filled by the ``Router``.
    public var parameters: [String: String] = [:]
    /// The pattern of the route that matched (e.g. `/api/v1/models/:id`), for metrics and logs; nil before routing.
    public var routePattern: String?
    /// Values middleware attaches for later middleware and handlers.
    public var attributes = RequestAttributes()

    /// The request method.
    public var method: HTTPRequest.Method { head.method }
    /// The request header fields.
    public var headerFields: HTTPFields { head.headerFields }

    /// The client's IP address without the port (`203.0.113.7`, `2001:db8::1`): what throttling and audit records key
    /// on, since one client opens many connections from different ports.
    public var clientIP: String { Self.clientIP(fromRemoteAddress: remoteAddress) }

    /// `host:port` or `[v6]:port` → host; anything else unchanged.
    public static func clientIP(fromRemoteAddress address: String) -> String {
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            return String(address[address.index(after: address.startIndex)..<close])
        }
        if address.filter({ $0 == ":" }).count == 1, let colon = address.lastIndex(of: ":") {
            return String(address[..<colon])
        }
        return address
    }

    /// The first query value named `name`, if any.
    public func query(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// Creates a request; the server builds these, tests may too.
    public init(
        head: HTTPRequestHead,
        path: String,
        pathSegments: [String],
        queryItems: [QueryItem],
        body: RequestBody,
        id: String,
        remoteAddress: String,
        isSecure: Bool
    ) {
        self.head = head
        self.path = path
        self.pathSegments = pathSegments
        self.queryItems = queryItems
        self.body = body
        self.id = id
        self.remoteAddress = remoteAddress
        self.isSecure = isSecure
    }
}

/// One `name=value` pair of a query string, decoded.
public struct QueryItem: Sendable, Equatable {
    /// The decoded name.
    public var name: String
    /// The decoded value (empty when the item had no `=`).
    public var value: String
}

/// A key for ``RequestAttributes``: the key type names the value's type.
public protocol RequestAttributeKey {
    /// The type of value stored under this key.
    associatedtype Value: Sendable
}

/// Type-keyed storage that middleware uses to hand values (the authenticated actor, a tenant) to handlers.
public struct RequestAttributes: Sendable {
    private var values: [ObjectIdentifier: any Sendable] = [:]

    /// Creates empty storage.
    public init() {}

    /// The value stored under `key`, or nil.
    public subscript<Key: RequestAttributeKey>(_ key: Key.Type) -> Key.Value? {
        get { values[ObjectIdentifier(key)] as? Key.Value }
        set { values[ObjectIdentifier(key)] = newValue }
    }
}
