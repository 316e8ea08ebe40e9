import HTTPTypes
import WebServer

/// Reading the `Cookie` header and writing `Set-Cookie` with safe defaults.
enum Cookies {
    /// The member session cookie: `<tenant uuid>.<secret>`.
    static let session = "falaj_session"
    /// The operator console's session cookie (path `/operator`).
    static let operatorSession = "falaj_operator"
    /// The pre-session CSRF binding for forms shown before sign-in.
    static let csrf = "falaj_csrf"

    /// The value of cookie `name`, or nil. The first occurrence wins.
    static func value(_ name: String, in request: Request) -> String? {
        for field in request.headerFields[values: .cookie] {
            for pair in field.split(separator: ";") {
                let trimmed = pair.drop { $0 == " " }
                guard let equals = trimmed.firstIndex(of: "=") else { continue }
                if trimmed[..<equals] == name { return String(trimmed[trimmed.index(after: equals)...]) }
            }
        }
        return nil
    }

    /// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, `Secure` when the request came over TLS.
    /// - Parameters:
    ///   - maxAge: seconds; `0` deletes the cookie; `nil` makes a browser-session cookie.
    static func make(_ name: String, _ value: String, path: String = "/", maxAge: Int? = nil, request: Request) -> String {
        var cookie = "\(name)=\(value); Path=\(path); HttpOnly; SameSite=Lax"
        if let maxAge { cookie += "; Max-Age=\(maxAge)" }
        if request.isSecure { cookie += "; Secure" }
        return cookie
    }

    /// Adds `Set-Cookie` to a response.
    static func set(_ cookie: String, on response: inout Response) {
        response.headerFields.append(HTTPField(name: .setCookie, value: cookie))
    }
}

/// `application/x-www-form-urlencoded` fields, decoded. Repeated names keep every value in order.
struct FormData: Sendable {
    /// The largest form body accepted (64 KiB): forms are small; uploads have their own routes.
    static let maximumSize = 65_536

    private(set) var fields: [(name: String, value: String)] = []

    /// No fields.
    static let empty = FormData()

    private init() {}

    /// Parses a form body.
    /// - Throws: ``HTTPError`` 400 when the encoding is broken.
    init(body: [UInt8]) throws {
        guard let text = String(validating: body, as: UTF8.self) else { throw HTTPError(.badRequest, "The form was not valid UTF-8") }
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = PercentDecoding.decode(parts[0], plusIsSpace: true),
                let value = PercentDecoding.decode(parts.count > 1 ? parts[1] : "", plusIsSpace: true)
            else { throw HTTPError(.badRequest, "The form's encoding is broken") }
            fields.append((name, value))
        }
    }

    /// The first value of `name`, or "" when absent.
    subscript(_ name: String) -> String { fields.first { $0.name == name }?.value ?? "" }

    /// Every value of `name` (checkbox groups).
    func all(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }
}
