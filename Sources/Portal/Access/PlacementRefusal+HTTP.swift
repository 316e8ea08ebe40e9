public import HTTPTypes
public import Residency
public import WebServer

/// A refused placement is a 403 that names the rule: in the page's message, and as the problem document's `rule`
/// member (see ``PortalErrorRenderer``).
extension PlacementRefusal: HTTPResponseError {
    /// 403 Forbidden.
    public var status: HTTPResponse.Status { .forbidden }

    /// The explanation followed by the rule's name.
    public var publicMessage: String { "\(explanation) (rule: \(rule.rawValue))" }
}

/// An invalid residency policy is a 422 with field errors, like any other form.
extension ResidencyPolicyError: HTTPResponseError {
    /// 422 Unprocessable Content.
    public var status: HTTPResponse.Status { .unprocessableContent }

    /// The messages.
    public var publicMessage: String { description }
}

extension PortalErrorRenderer {
    /// An RFC 9457 problem document for a refused placement, with `rule`, `operation` and `region` members.
    static func problemJSON(_ refusal: PlacementRefusal, description: ErrorDescription, requestID: String) -> Response {
        var body = "{\"type\":\"about:blank\",\"title\":\(JSONString.quote(description.status.reasonPhrase)),\"status\":\(description.status.code),"
        body += "\"detail\":\(JSONString.quote(refusal.explanation)),\"request_id\":\(JSONString.quote(requestID)),"
        body += "\"rule\":\(JSONString.quote(refusal.rule.rawValue)),\"operation\":\(JSONString.quote(refusal.operation.rawValue)),"
        body += "\"region\":\(JSONString.quote(refusal.region))}"
        var fields = description.headerFields
        fields[.contentType] = "application/problem+json"
        return Response(status: description.status, headerFields: fields, body: .bytes(Array(body.utf8)))
    }
}
