import Foundation
import HTTPTypes
import Residency
import Tenancy
import WebServer

/// What every page handler shares: the templates, the CSRF key, the tenancy services and the hosting environment.
/// ``render(_:_:title:_:status:)`` adds what the layout needs (CSRF token, signed-in header) to a view model.
struct Pages: Sendable {
    let templates: TemplateRenderer
    let csrf: CSRFTokens
    let environment: PortalEnvironment

    var tenancy: TenancyServices { environment.tenancy }

    /// One entry of the signed-in navigation: shown only when the role holds `permission`.
    private static let navigation: [(label: String, href: String, permission: Permission)] = [
        ("Dashboard", "/app", .tenantRead),
        ("Projects", "/app/projects", .dataRead),
        ("Members", "/app/members", .membersRead),
        ("Roles", "/app/roles", .membersRead),
        ("API keys", "/app/keys", .keysManage),
        ("Security", "/app/security", .securityManage),
        ("Audit", "/app/audit", .auditRead),
        ("Residency", "/app/residency", .tenantRead),
        ("Encryption", "/app/encryption", .securityManage),
        ("Privacy", "/app/privacy", .membersManage),
        ("Deployments", "/app/deployments", .deploymentsRead),
        ("Jobs", "/app/jobs", .jobsRead),
        ("Nodes", "/app/nodes", .nodesManage),
        ("Account", "/app/account", .tenantRead),
    ]

    /// Renders `template` inside the layout. Adds `title`, `csrfToken`, and the member header (tenant, region,
    /// navigation, tenant switcher) or the operator header. Pages are never cached.
    func render(
        _ template: String,
        _ request: Request,
        title: String,
        _ context: [String: Any] = [:],
        status: HTTPResponse.Status = .ok
    ) async -> Response {
        var context = context
        context["title"] = title + " — Falaj"
        context["csrfToken"] = csrfToken(request)
        switch request.principal {
        case .member(let session) where session.isMFAVerified && !session.mustEnrolMFA:
            context["header"] = await header(session, request: request)
        case .platformOperator(let session, _):
            context["operator"] = ["displayName": session.displayName, "email": session.email]
        default:
            break
        }
        var response = templates.page(template, context, status: status)
        response.headerFields[.cacheControl] = "no-store"
        return response
    }

    /// The `csrf_token` hidden-field value for this browser.
    func csrfToken(_ request: Request) -> String {
        request.attributes[CSRFCookieKey.self].map(csrf.token(for:)) ?? ""
    }

    private func header(_ session: SignedInSession, request: Request) async -> [String: Any] {
        let context = session.context
        let nav: [[String: Any]] = Self.navigation.filter { context.allows($0.permission) }.map { item in
            let isCurrent = item.href == "/app" ? request.path == "/app" : request.path.hasPrefix(item.href)
            return ["label": item.label, "href": item.href, "isCurrent": isCurrent]
        }
        let tenants = (try? await tenancy.authenticator.switchableTenants(session)) ?? []
        return [
            "tenantName": context.tenant.displayName,
            "region": context.region,
            "memberName": session.member.displayName,
            "memberEmail": session.member.email,
            "roleName": context.role.displayName,
            "nav": nav,
            "hasSwitcher": tenants.count > 1,
            "tenants": tenants.map { ["id": $0.id.description, "name": $0.displayName, "isSelected": $0.id == context.tenantID] },
        ]
    }

    /// `http(s)://host` of this request, for links the user copies (invitations).
    static func baseURL(_ request: Request) -> String {
        (request.isSecure ? "https://" : "http://") + (request.head.authority ?? "localhost")
    }

    /// 303 See Other.
    static func redirect(_ location: String) -> Response { AccessMiddleware.redirect(to: location) }

    /// 303 See Other that also sets a cookie.
    static func redirect(_ location: String, setting cookie: String) -> Response {
        var response = AccessMiddleware.redirect(to: location)
        Cookies.set(cookie, on: &response)
        return response
    }

    /// The session cookie for `token`.
    static func sessionCookie(_ token: TenantToken, request: Request) -> String {
        Cookies.make(Cookies.session, token.description, request: request)
    }

    /// A view model's error members for a failed form: `errors` (field → message) for field errors, `formError`
    /// for the rest, plus the status to answer with.
    static func failure(_ error: TenancyError) -> (context: [String: Any], status: HTTPResponse.Status) {
        switch error {
        case .invalidFields(let fields): (["errors": fields, "formError": "Please correct the highlighted fields."], error.status)
        default: (["formError": error.description], error.status)
        }
    }

    /// Merges `extra` into `context` (extra wins).
    static func merge(_ context: [String: Any], _ extra: [String: Any]) -> [String: Any] {
        context.merging(extra) { $1 }
    }

    /// Formats a date for tables (UTC, minutes).
    static func format(_ date: Date?) -> String {
        guard let date else { return "—" }
        return String(date.ISO8601Format().prefix(16)).replacingOccurrences(of: "T", with: " ") + " UTC"
    }
}
