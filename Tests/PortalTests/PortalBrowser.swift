import Foundation
import TestSupport

/// A minimal browser for portal tests: a cookie jar, the last page's CSRF token, `Origin` on posts, one connection
/// per request. It does not follow redirects; ``follow(_:)`` does it explicitly.
final class PortalBrowser: @unchecked Sendable {
    // @unchecked Sendable: a test drives one browser from one task at a time.
    let port: Int
    private(set) var cookies: [String: String] = [:]
    /// The `csrf_token` of the last HTML page that had one.
    private(set) var csrfToken: String?
    /// The origin sent on unsafe requests; tests change it to simulate a cross-site post.
    var origin: String?

    init(port: Int) {
        self.port = port
        self.origin = "http://127.0.0.1:\(port)"
    }

    /// Sends one request and records cookies and the CSRF token.
    func request(_ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = []) async throws -> HTTPTestResponse {
        let client = try await HTTPTestClient.connect(port: port)
        defer { client.close() }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if !cookies.isEmpty { head += "Cookie: " + cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") + "\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" || method == "PATCH" { head += "Content-Length: \(body.count)\r\n" }
        try await client.send(Array((head + "\r\n").utf8) + body)
        let response = try await client.readResponse(isHeadRequest: method == "HEAD")
        for cookie in response.headers(named: "Set-Cookie") {
            let pair = cookie.prefix { $0 != ";" }
            guard let equals = pair.firstIndex(of: "=") else { continue }
            let name = String(pair[..<equals])
            let value = String(pair[pair.index(after: equals)...])
            if cookie.contains("Max-Age=0") || value.isEmpty { cookies[name] = nil } else { cookies[name] = value }
        }
        if let token = Self.csrfToken(in: response.bodyText) { csrfToken = token }
        return response
    }

    /// Sets a cookie as if the server had (a session made through the services).
    func setCookie(_ name: String, _ value: String) { cookies[name] = value }

    /// GET.
    func get(_ path: String) async throws -> HTTPTestResponse { try await request("GET", path, headers: [("Accept", "text/html")]) }

    /// POSTs a form with the remembered CSRF token (unless `csrf` is false) and `Origin`.
    func post(_ path: String, _ fields: [(String, String)], csrf: Bool = true) async throws -> HTTPTestResponse {
        var all = fields
        if csrf, let csrfToken { all.append(("csrf_token", csrfToken)) }
        let body = all.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        var headers = [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "text/html")]
        if let origin { headers.append(("Origin", origin)) }
        return try await request("POST", path, headers: headers, body: Array(body.utf8))
    }

    /// Follows a 3xx response's `Location` with a GET.
    func follow(_ response: HTTPTestResponse) async throws -> HTTPTestResponse {
        guard (300..<400).contains(response.statusCode), let location = response.header("Location") else { return response }
        return try await get(location)
    }

    /// A JSON API call with an optional bearer key.
    func api(_ method: String, _ path: String, json: String? = nil, bearer: String?) async throws -> HTTPTestResponse {
        var headers = [("Accept", "application/json")]
        if let bearer { headers.append(("Authorization", "Bearer \(bearer)")) }
        if json != nil { headers.append(("Content-Type", "application/json")) }
        return try await request(method, path, headers: headers, body: Array((json ?? "").utf8))
    }

    static func csrfToken(in html: String) -> String? {
        guard let range = html.range(of: #"name="csrf_token" value=""#) else { return nil }
        let rest = html[range.upperBound...]
        return String(rest.prefix { $0 != "\"" })
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
