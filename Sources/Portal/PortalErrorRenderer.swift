import ComputeAgents
import HTTPTypes
import Logging
import Platform
import Residency
import Tenancy
import WebServer

/// Errors as the portal shows them: problem+json for API clients, the templated error page for people.
struct PortalErrorRenderer: ErrorRenderer {
    let templates: TemplateRenderer
    let logger: Logger

    func response(for error: any Error, request: Request) -> Response {
        let description = ErrorDescription(error, request: request, logger: logger)
        if ErrorDescription.prefersJSON(request) {
            if let refusal = error as? PlacementRefusal { return Self.problemJSON(refusal, description: description, requestID: request.id) }
            if case .placementRefused(let refusal) = error as? ComputeAgentsError {
                return Self.problemJSON(refusal, description: description, requestID: request.id)
            }
            if case .uploadRejected(let rejection) = error as? PlatformError {
                return Self.problemJSON(rejection, description: description, requestID: request.id)
            }
            let fieldErrors = (error as? TenancyError)?.fieldErrors ?? (error as? APIRequestError)?.fieldErrors ?? (error as? ResidencyPolicyError)?.fields
                ?? (error as? ComputeAgentsError)?.fieldErrors ?? (error as? PlatformError)?.fieldErrors ?? [:]
            if !fieldErrors.isEmpty { return Self.problemJSON(description, fieldErrors: fieldErrors, requestID: request.id) }
            return description.problemJSON(requestID: request.id)
        }
        var response = templates.page(
            "error",
            [
                "title": "\(description.status.code) \(description.status.reasonPhrase)",
                "status": description.status.code,
                "reason": description.status.reasonPhrase,
                "message": description.message,
                "requestID": request.id,
            ],
            status: description.status
        )
        for field in description.headerFields { response.headerFields.append(field) }
        return response
    }

    /// An RFC 9457 problem document with an `errors` member: field name → message.
    static func problemJSON(_ description: ErrorDescription, fieldErrors: [String: String], requestID: String) -> Response {
        var body = "{\"type\":\"about:blank\",\"title\":\(JSONString.quote(description.status.reasonPhrase)),\"status\":\(description.status.code),"
        body += "\"detail\":\(JSONString.quote(description.message)),\"request_id\":\(JSONString.quote(requestID)),\"errors\":{"
        body += fieldErrors.sorted { $0.key < $1.key }.map { "\(JSONString.quote($0.key)):\(JSONString.quote($0.value))" }.joined(separator: ",")
        body += "}}"
        var fields = description.headerFields
        fields[.contentType] = "application/problem+json"
        return Response(status: description.status, headerFields: fields, body: .bytes(Array(body.utf8)))
    }
}
