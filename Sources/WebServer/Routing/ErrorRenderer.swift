public import HTTPTypes
public import Logging

/// Turns a thrown error into a response. The router calls it for every error, in one place.
public protocol ErrorRenderer: Sendable {
    /// The response for `error` raised while handling `request`. Must never leak internal detail.
    func response(for error: any Error, request: Request) -> Response
}

/// The status, client-safe message and extra fields for any error: ``HTTPResponseError``s speak for
/// themselves; anything else is a 500 with a generic message (the detail goes to the log).
public struct ErrorDescription: Sendable {
    /// The status to answer with.
    public var status: HTTPResponse.Status
    /// What the client may read.
    public var message: String
    /// Extra header fields (for example `Allow`).
    public var headerFields: HTTPFields

    /// Describes `error`; logs unexpected errors with the request id.
    public init(_ error: any Error, request: Request, logger: Logger) {
        if let error = error as? any HTTPResponseError {
            status = error.status
            message = error.publicMessage
            headerFields = error.headerFields
        } else {
            status = .internalServerError
            message = "Something went wrong on our side. Quote request id \(request.id) if you contact support."
            headerFields = [:]
            logger.error(
                "unhandled error",
                metadata: ["request-id": "\(request.id)", "path": "\(request.path)", "error": "\(String(reflecting: error))"]
            )
        }
    }

    /// Whether the client should get JSON: API paths, or an `Accept` that prefers JSON over HTML.
    public static func prefersJSON(_ request: Request) -> Bool {
        if request.path.hasPrefix("/api/") || request.path.hasPrefix("/v1/") || request.path.hasPrefix("/agent/") { return true }
        let accept = request.headerFields[.accept] ?? ""
        return accept.contains("json") && !accept.contains("text/html")
    }

    /// An RFC 9457 problem document.
    public func problemJSON(requestID: String) -> Response {
        var body = "{\"type\":\"about:blank\",\"title\":\(JSONString.quote(status.reasonPhrase)),\"status\":\(status.code),"
        body += "\"detail\":\(JSONString.quote(message)),\"request_id\":\(JSONString.quote(requestID))}"
        var fields = headerFields
        fields[.contentType] = "application/problem+json"
        return Response(status: status, headerFields: fields, body: .bytes(Array(body.utf8)))
    }
}

/// Problem+json for API requests, a minimal HTML page otherwise. The portal installs a templated renderer.
public struct DefaultErrorRenderer: ErrorRenderer {
    let logger: Logger

    /// A renderer that logs unexpected errors to `logger`.
    public init(logger: Logger = Logger(label: "falaj.http")) { self.logger = logger }

    /// See ``ErrorRenderer``.
    public func response(for error: any Error, request: Request) -> Response {
        let description = ErrorDescription(error, request: request, logger: logger)
        if ErrorDescription.prefersJSON(request) { return description.problemJSON(requestID: request.id) }
        let html = """
            <!doctype html><html lang="en"><meta charset="utf-8"><title>\(description.status.code) \(HTMLEscaping.escape(description.status.reasonPhrase))</title>
            <h1>\(description.status.code) \(HTMLEscaping.escape(description.status.reasonPhrase))</h1>
            <p>\(HTMLEscaping.escape(description.message))</p><p><small>Request id: \(HTMLEscaping.escape(request.id))</small></p></html>
            """
        var response = Response.html(html, status: description.status)
        for field in description.headerFields { response.headerFields.append(field) }
        return response
    }
}

/// Escapes text for HTML element content and attribute values.
public enum HTMLEscaping {
    /// `&`, `<`, `>`, `"` and `'` replaced by entities.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}

/// Minimal JSON string quoting for hand-built documents.
public enum JSONString {
    /// `text` as a JSON string literal, quotes included.
    public static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20:
                out += "\\u" + String(c.value, radix: 16).leftPadded(to: 4)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
