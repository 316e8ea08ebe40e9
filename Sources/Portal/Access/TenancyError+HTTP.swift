public import HTTPTypes
public import Tenancy
public import WebServer

/// Domain errors become HTTP errors here, in one place.
extension TenancyError: HTTPResponseError {
    /// 422 for field errors, 404, 403, 409, 401, 429 and 403 (suspended tenant).
    public var status: HTTPResponse.Status {
        switch self {
        case .invalidFields: .unprocessableContent
        case .notFound: .notFound
        case .forbidden: .forbidden
        case .conflict: .conflict
        case .unauthenticated: .unauthorized
        case .throttled: .tooManyRequests
        case .tenantUnavailable: .forbidden
        }
    }

    /// The message for the user.
    public var publicMessage: String { description }

    /// `Retry-After` when throttled.
    public var headerFields: HTTPFields {
        if case .throttled(_, let seconds) = self { return [.retryAfter: String(seconds)] }
        return [:]
    }

    /// Field name → message, for the problem document's `errors` member and form re-rendering.
    var fieldErrors: [String: String] {
        if case .invalidFields(let fields) = self { return fields }
        return [:]
    }
}
