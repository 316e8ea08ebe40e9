import HTTPTypes
import Synchronization
import Tenancy
import WebServer

/// Who may call a route. Every portal and API route declares one; ``AccessMiddleware`` enforces it in one place.
enum RouteAccess: Sendable, Equatable {
    /// Anyone, without even looking at cookies or credentials: health checks, metrics, static files, the OpenAPI
    /// document. These never touch the database, so a slow database cannot stall them.
    case open
    /// Anyone; a session is resolved when present (landing, sign-up, login, invitation pages).
    case anyone
    /// A signed-in member even while MFA is owed (the MFA challenge and enrolment pages, sign-out).
    case signedIn
    /// A member or API key holding the permission (for pages, MFA must be complete).
    case permission(Permission)
    /// A signed-in platform operator.
    case platformOperator
    /// A node enrolling itself: the join token in the body is checked by the handler (`/agent/` paths only).
    case agentEnrolment
    /// An enrolled agent with its credential as `Authorization: Bearer fag_…` (`/agent/` paths only).
    case agent
    /// A job attempt with its job-scoped token as `Authorization: Bearer fjt…`, for that job's path only.
    case jobToken

    /// The permission, when the access needs one.
    var permission: Permission? {
        if case .permission(let permission) = self { return permission }
        return nil
    }
}

/// Documentation of one API route for the OpenAPI document.
struct APIDocumentation: Sendable {
    /// One line.
    var summary: String
    /// JSON Schema of the request body, if it takes one.
    var requestSchema: JSONValue?
    /// JSON Schema of the success body.
    var responseSchema: JSONValue?
    /// The success status code.
    var successStatus: Int = 200
    /// Whether the domain refuses API-key callers even with the permission (API keys cannot mint API keys), so over
    /// the bearer-only API the route answers 403; published as `x-falaj-member-session-only`.
    var isMemberSessionOnly = false
}

/// The declared access (and API documentation) of every route, keyed by method + pattern.
final class RouteCatalog: Sendable {
    struct Entry: Sendable {
        var method: HTTPRequest.Method
        var pattern: String
        var access: RouteAccess
        var documentation: APIDocumentation?
    }

    private let entries = Mutex<[String: Entry]>([:])

    private static func key(_ method: HTTPRequest.Method, _ pattern: String) -> String { method.rawValue + " " + pattern }

    func record(_ entry: Entry) { entries.withLock { $0[Self.key(entry.method, entry.pattern)] = entry } }

    /// The entry for a matched route; HEAD uses GET's.
    func entry(method: HTTPRequest.Method, pattern: String) -> Entry? {
        let method = method == .head ? .get : method
        return entries.withLock { $0[Self.key(method, pattern)] }
    }

    /// Every entry, sorted by pattern then method.
    var all: [Entry] { entries.withLock { Array($0.values) }.sorted { ($0.pattern, $0.method.rawValue) < ($1.pattern, $1.method.rawValue) } }
}

/// Adds routes to a ``RouterBuilder`` while recording each route's access in the ``RouteCatalog``. A route cannot be
/// added without saying who may call it.
struct PortalRoutes {
    var builder = RouterBuilder()
    let catalog = RouteCatalog()

    /// Adds a route with its access rule.
    mutating func add(
        _ method: HTTPRequest.Method,
        _ pattern: String,
        access: RouteAccess,
        documentation: APIDocumentation? = nil,
        maxBodySize: Int? = nil,
        _ handler: @escaping RequestHandler
    ) {
        catalog.record(.init(method: method, pattern: pattern, access: access, documentation: documentation))
        builder.add(method, pattern, maxBodySize: maxBodySize, handler)
    }

    /// GET (and HEAD).
    mutating func get(_ pattern: String, access: RouteAccess, documentation: APIDocumentation? = nil, _ handler: @escaping RequestHandler) {
        add(.get, pattern, access: access, documentation: documentation, handler)
    }

    /// POST.
    mutating func post(_ pattern: String, access: RouteAccess, documentation: APIDocumentation? = nil, _ handler: @escaping RequestHandler) {
        add(.post, pattern, access: access, documentation: documentation, handler)
    }
}
