public import HTTPTypes
public import Platform
public import WebServer

/// Platform errors become HTTP errors here, in one place.
extension PlatformError: HTTPResponseError {
    /// 422 for field errors and rejected uploads, 403, 404, 409.
    public var status: HTTPResponse.Status {
        switch self {
        case .invalidFields, .uploadRejected: .unprocessableContent
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        }
    }

    /// The message for the caller.
    public var publicMessage: String { description }

    /// Field name → message, for the problem document's `errors` member and form re-rendering.
    var fieldErrors: [String: String] {
        if case .invalidFields(let fields) = self { return fields }
        return [:]
    }
}

extension PortalErrorRenderer {
    /// A problem document for a refused upload with `rejected_count` and `rejected_rows` (line, column, reason).
    static func problemJSON(_ rejection: UploadRejection, description: ErrorDescription, requestID: String) -> Response {
        var body = "{\"type\":\"about:blank\",\"title\":\(JSONString.quote(description.status.reasonPhrase)),\"status\":\(description.status.code),"
        body += "\"detail\":\(JSONString.quote(description.message)),\"request_id\":\(JSONString.quote(requestID)),"
        body += "\"rejected_count\":\(rejection.rejectedCount),\"rejected_rows\":["
        body += rejection.rows.map { row in
            "{\"line\":\(row.line),\"column\":\(row.column.map(JSONString.quote) ?? "null"),\"reason\":\(JSONString.quote(row.reason))}"
        }.joined(separator: ",")
        body += "]}"
        var fields = description.headerFields
        fields[.contentType] = "application/problem+json"
        return Response(status: description.status, headerFields: fields, body: .bytes(Array(body.utf8)))
    }
}
