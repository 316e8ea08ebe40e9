import ComputeAgents
import HTTPTypes
import Tenancy
import WebServer

/// Who made a request, as ``AccessMiddleware`` established it.
enum Principal: Sendable {
    /// Nobody signed in.
    case anonymous
    /// A member with a portal session.
    case member(SignedInSession)
    /// An API client with a bearer key.
    case apiClient(RequestContext)
    /// A platform operator, with the cookie token (for sign-out and CSRF).
    case platformOperator(OperatorSession, token: String)
    /// An enrolled compute agent.
    case agent(AgentIdentity)
    /// A job attempt holding its job-scoped token.
    case job(JobTokenScope)

    /// The tenant request context, for members and API clients.
    var context: RequestContext? {
        switch self {
        case .member(let session): session.context
        case .apiClient(let context): context
        case .anonymous, .platformOperator, .agent, .job: nil
        }
    }
}

/// Request attribute: the ``Principal``.
enum PrincipalKey: RequestAttributeKey { typealias Value = Principal }
/// Request attribute: the parsed form of a POST from a browser.
enum FormKey: RequestAttributeKey { typealias Value = FormData }
/// Request attribute: the pre-session CSRF cookie value (existing or newly issued on this response).
enum CSRFCookieKey: RequestAttributeKey { typealias Value = String }

extension Request {
    /// The principal; `.anonymous` on routes the middleware did not see.
    var principal: Principal { attributes[PrincipalKey.self] ?? .anonymous }

    /// The tenant context of a member or API client.
    /// - Throws: 401 when there is none (a route declared `.anyone` asked for it: a programming error shows as 401, never as data).
    func requireContext() throws -> RequestContext {
        guard let context = principal.context else { throw HTTPError(.unauthorized, "Sign in first") }
        return context
    }

    /// The member session of a portal page.
    func requireSession() throws -> SignedInSession {
        guard case .member(let session) = principal else { throw HTTPError(.unauthorized, "Sign in first") }
        return session
    }

    /// The operator of an operator-console page.
    func requireOperator() throws -> (session: OperatorSession, token: String) {
        guard case .platformOperator(let session, let token) = principal else { throw HTTPError(.unauthorized, "Operator sign-in required") }
        return (session, token)
    }

    /// The parsed form (empty for requests without one).
    var form: FormData { attributes[FormKey.self] ?? .empty }
}
