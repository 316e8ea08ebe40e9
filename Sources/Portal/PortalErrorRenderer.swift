import HTTPTypes
import Logging
import WebServer

/// Errors as the portal shows them: problem+json for API clients, the templated error page for people.
struct PortalErrorRenderer: ErrorRenderer {
    let templates: TemplateRenderer
    let logger: Logger

    func response(for error: any Error, request: Request) -> Response {
        let description = ErrorDescription(error, request: request, logger: logger)
        if ErrorDescription.prefersJSON(request) { return description.problemJSON(requestID: request.id) }
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
}
