import ComputeAgents
import FalajCrypto
import Foundation
import HTTPTypes
import Tenancy
import WebServer

/// The one place where authentication, permission checks and CSRF happen.
///
/// For each matched route it reads the declared ``RouteAccess`` from the ``RouteCatalog``. API paths (`/api/`)
/// authenticate with `Authorization: Bearer <API key>` only (no cookies, so no CSRF); pages use the session cookie,
/// and the operator console its own cookie. Missing credentials → sign-in redirect (pages) or 401 (API); a missing
/// permission → 403. Unsafe page requests must come from this site (`Origin`/`Referer`) and carry a valid CSRF token.
struct AccessMiddleware: Middleware {
    let catalog: RouteCatalog
    let tenancy: TenancyServices
    let csrf: CSRFTokens
    /// Authenticates agents and job tokens on `/agent/` paths; nil → those paths answer 503.
    let computeAgents: ComputeAgentsServices?

    func handle(_ request: Request, next: RequestHandler) async throws -> Response {
        guard let pattern = request.routePattern, let entry = catalog.entry(method: request.method, pattern: pattern) else {
            return try await next(request)  // 404 / 405 come from the router
        }
        if entry.access == .open { return try await next(request) }
        if request.path.hasPrefix("/api/") || request.path.hasPrefix("/v1/") { return try await handleAPI(request, access: entry.access, next: next) }
        if request.path.hasPrefix("/agent/") { return try await handleAgent(request, access: entry.access, next: next) }
        return try await handlePage(request, access: entry.access, next: next)
    }

    private func handleAPI(_ request: Request, access: RouteAccess, next: RequestHandler) async throws -> Response {
        guard access != .anyone else { return try await next(request) }
        let challenge: HTTPFields = [.wwwAuthenticate: "Bearer realm=\"falaj\""]
        guard let header = request.headerFields[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw HTTPError(.unauthorized, "Send an API key as 'Authorization: Bearer falaj_…'", headerFields: challenge)
        }
        let bearer = Self.bearer(header)
        guard let context = try await tenancy.apiKeys.authenticate(bearer, requestID: request.id, clientAddress: request.clientIP) else {
            throw HTTPError(.unauthorized, "The API key is not valid: it is unknown, revoked or expired", headerFields: challenge)
        }
        switch access {
        case .permission(let permission): try context.require(permission)
        case .platformOperator: throw HTTPError(.forbidden, "This endpoint is for platform operators")
        case .agentEnrolment, .agent, .jobToken: throw HTTPError(.forbidden, "This endpoint is for compute agents")
        case .open, .anyone, .signedIn: break
        }
        var request = request
        request.attributes[PrincipalKey.self] = .apiClient(context)
        return try await next(request)
    }

    /// The token of an `Authorization: Bearer …` value, without the scheme and surrounding spaces or tabs (byte-wise:
    /// this runs for every API request, predictions included).
    static func bearer(_ header: String) -> String {
        let bytes = header.utf8.dropFirst(7)
        let isBlank = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
        guard let first = bytes.firstIndex(where: { !isBlank($0) }), let last = bytes.lastIndex(where: { !isBlank($0) }) else { return "" }
        return String(Substring(header.utf8[first...last]))
    }

    private func handlePage(_ request: Request, access: RouteAccess, next: RequestHandler) async throws -> Response {
        var request = request
        let isUnsafe = ![.get, .head, .options].contains(request.method)
        var issuedCookie: String?
        var csrfCookie = Cookies.value(Cookies.csrf, in: request)
        if csrfCookie == nil || csrfCookie!.utf8.count != 43 {
            guard !isUnsafe else { throw HTTPError(.forbidden, "Your form has expired. Reload the page and try again.") }
            csrfCookie = CSRFTokens.newCookieValue()
            issuedCookie = csrfCookie
        }
        request.attributes[CSRFCookieKey.self] = csrfCookie
        if isUnsafe {
            guard CSRFTokens.isSameOrigin(request) else { throw HTTPError(.forbidden, "This form was sent from another site and was refused.") }
            let contentType = request.headerFields[.contentType] ?? ""
            let isForm = contentType.hasPrefix("application/x-www-form-urlencoded")
            let form = isForm ? try FormData(body: try await request.body.collect(upTo: FormData.maximumSize)) : FormData.empty
            // A script that streams a file as the body (a dataset upload) sends the page's token in a header instead.
            let submitted = isForm ? form[CSRFTokens.field] : request.headerFields[CSRFTokens.headerName] ?? ""
            guard let csrfCookie, csrf.isValid(submitted, cookie: csrfCookie) else {
                throw HTTPError(.forbidden, "Your form has expired. Reload the page and try again.")
            }
            request.attributes[FormKey.self] = form
        }

        if access == .platformOperator || request.path.hasPrefix("/operator") {
            if let token = Cookies.value(Cookies.operatorSession, in: request), let session = try await tenancy.operators.session(token) {
                request.attributes[PrincipalKey.self] = .platformOperator(session, token: token)
            } else if access == .platformOperator {
                return Self.redirect(to: "/operator/login")
            }
        } else if let raw = Cookies.value(Cookies.session, in: request), let token = TenantToken(raw) {
            do {
                if let session = try await tenancy.authenticator.session(token, requestID: request.id, clientAddress: request.clientIP) {
                    request.attributes[PrincipalKey.self] = .member(session)
                }
            } catch let error as TenancyError {
                if access != .anyone { throw error }  // suspended tenant: its members see why
            }
        }

        switch access {
        case .open, .anyone, .platformOperator: break
        case .agentEnrolment, .agent, .jobToken: throw HTTPError(.forbidden, "This endpoint is for compute agents")
        case .signedIn:
            guard case .member = request.principal else { return Self.signInRedirect(request) }
        case .permission(let permission):
            guard case .member(let session) = request.principal else { return Self.signInRedirect(request) }
            if !session.isMFAVerified { return Self.redirect(to: "/login/mfa") }
            if session.mustEnrolMFA { return Self.redirect(to: "/app/account/mfa") }
            guard session.context.allows(permission) else {
                throw HTTPError(.forbidden, "Your role (\(session.context.role.displayName)) does not allow this page. Ask an admin of \(session.context.tenant.displayName) if you need it.")
            }
        }
        var response = try await next(request)
        if let issuedCookie { Cookies.set(Cookies.make(Cookies.csrf, issuedCookie, request: request), on: &response) }
        return response
    }

    /// `/agent/` paths: the agent credential or a job-scoped token as a bearer; no cookies, so no CSRF. A job token
    /// only opens the paths of its own job (`/agent/v1/jobs/<its id>/…`).
    private func handleAgent(_ request: Request, access: RouteAccess, next: RequestHandler) async throws -> Response {
        guard let computeAgents else { throw HTTPError(.serviceUnavailable, "Compute agents are not enabled on this server") }
        if access == .agentEnrolment { return try await next(request) }
        let challenge: HTTPFields = [.wwwAuthenticate: "Bearer realm=\"falaj-agent\""]
        guard let header = request.headerFields[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw HTTPError(.unauthorized, "Send the agent credential or job token as 'Authorization: Bearer …'", headerFields: challenge)
        }
        let bearer = Self.bearer(header)
        var request = request
        switch access {
        case .agent:
            guard let agent = try await computeAgents.registry.authenticate(bearer) else {
                throw HTTPError(.unauthorized, "The agent credential is not valid: unknown, expired, or the agent was revoked", headerFields: challenge)
            }
            request.attributes[PrincipalKey.self] = .agent(agent)
        case .jobToken:
            // A path naming a job must name the token's; paths without one (a run's) check the link themselves.
            guard let scope = try await computeAgents.dispatcher.authenticateJob(bearer),
                request.parameters["job"] == nil || request.parameters["job"].flatMap(UUID.init(uuidString:)) == scope.jobID
            else {
                throw HTTPError(.unauthorized, "The job token is not valid for this job: unknown, or its lease has ended", headerFields: challenge)
            }
            request.attributes[PrincipalKey.self] = .job(scope)
        default:
            throw HTTPError(.forbidden, "This endpoint is not for compute agents")
        }
        return try await next(request)
    }

    /// 303 See Other to `location`.
    static func redirect(to location: String) -> Response {
        Response(status: .seeOther, headerFields: [.location: location, .cacheControl: "no-store"])
    }

    private static func signInRedirect(_ request: Request) -> Response {
        let next = request.method == .get ? "?next=" + PercentEncoding.encode(request.head.target) : ""
        return redirect(to: "/login" + next)
    }
}

extension CSRFTokens {
    /// A fresh random cookie value (256 bits, base64url).
    static func newCookieValue() -> String { SecureRandom.token(byteCount: 32) }
}
