public import ComputeAgents
public import HTTPTypes
public import WebServer

/// Compute-agents errors become HTTP errors here, in one place.
extension ComputeAgentsError: HTTPResponseError {
    /// 422 for field errors, 401, 403, 404, 409; a plan limit is 403 with the reason; a residency refusal 403.
    public var status: HTTPResponse.Status {
        switch self {
        case .invalidFields: .unprocessableContent
        case .unauthenticated: .unauthorized
        case .forbidden, .quotaExceeded, .placementRefused: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        }
    }

    /// The message for the caller.
    public var publicMessage: String {
        if case .placementRefused(let refusal) = self { return refusal.publicMessage }
        return description
    }

    /// Field name → message, for the problem document's `errors` member and form re-rendering.
    var fieldErrors: [String: String] {
        if case .invalidFields(let fields) = self { return fields }
        return [:]
    }
}
