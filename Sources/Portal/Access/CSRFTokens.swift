import FalajCrypto
import HTTPTypes
import WebServer

/// Signed double-submit CSRF protection: each browser gets a random `falaj_csrf` cookie (HttpOnly, SameSite=Lax);
/// every state-changing form carries `csrf_token` = HMAC(server key, cookie). A cross-site page can make the browser
/// send the cookie but can neither read it nor compute the token. ``AccessMiddleware`` also checks `Origin`/`Referer`.
struct CSRFTokens: Sendable {
    let key: [UInt8]

    /// The form field name.
    static let field = "csrf_token"
    /// The request header that carries the token when the body is not a form (a file streamed by a page's script).
    static let headerName = HTTPField.Name("X-CSRF-Token")!

    /// The token for a cookie value.
    func token(for cookie: String) -> String {
        Base64URL.encode(HMACSHA256.authenticate(message: Array(("csrf:" + cookie).utf8), key: key))
    }

    /// Whether `submitted` is the token for `cookie` (constant time).
    func isValid(_ submitted: String, cookie: String) -> Bool {
        ConstantTime.equals(Array(submitted.utf8), Array(token(for: cookie).utf8))
    }

    /// Whether the request's `Origin` (or, without it, `Referer`) names this site. A request with neither is refused:
    /// every current browser sends `Origin` on form posts.
    static func isSameOrigin(_ request: Request) -> Bool {
        guard let host = request.head.authority else { return false }
        let origin = (request.isSecure ? "https://" : "http://") + host
        if let sent = request.headerFields[.origin] { return sent == origin }
        if let referer = request.headerFields[.referer] { return referer == origin || referer.hasPrefix(origin + "/") }
        return false
    }
}
