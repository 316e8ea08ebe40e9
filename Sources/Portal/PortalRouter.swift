import Foundation
import Tenancy
import HTTPTypes
public import WebServer

/// Builds the control plane's router: pages, operations endpoints and static files.
public enum PortalRouter {
    /// Every route of the portal, with metrics and access logging.
    /// - Parameters:
    ///   - environment: what the hosting process provides.
    ///   - metrics: the request metrics shared with `/metrics`.
    public static func make(environment: PortalEnvironment, metrics: HTTPMetrics) async throws -> Router {
        try await makeWithCatalog(environment: environment, metrics: metrics).router
    }

    /// ``make(environment:metrics:)`` plus the catalog of every route's declared access, for tests.
    static func makeWithCatalog(environment: PortalEnvironment, metrics: HTTPMetrics) async throws -> (router: Router, catalog: RouteCatalog) {
        let templates = try await TemplateRenderer.load()
        let staticFiles = try StaticFiles(root: environment.publicDirectory)
        var routes = PortalRoutes()
        routes.builder.use(SecurityHeaders())
        routes.builder.use(
            AccessMiddleware(
                catalog: routes.catalog, tenancy: environment.tenancy, csrf: CSRFTokens(key: environment.tenancy.environment.secrets.csrfKey),
                computeAgents: environment.computeAgents
            )
        )

        routes.get("/", access: .anyone) { _ in
            let regions = (try? await environment.regions()) ?? []
            return templates.page(
                "landing",
                [
                    "title": "Falaj — ML platform with data residency",
                    "regions": regions.map { ["id": $0.id, "displayName": $0.displayName, "jurisdiction": $0.jurisdiction] },
                    "hasRegions": !regions.isEmpty,
                ]
            )
        }
        OperationsRoutes.add(to: &routes, environment: environment, metrics: metrics)
        let pages = Pages(templates: templates, csrf: CSRFTokens(key: environment.tenancy.environment.secrets.csrfKey), environment: environment)
        SessionPages.add(to: &routes, pages: pages)
        AccountPages.add(to: &routes, pages: pages)
        MemberPages.add(to: &routes, pages: pages)
        SettingsPages.add(to: &routes, pages: pages)
        EncryptionPages.add(to: &routes, pages: pages)
        RolePages.add(to: &routes, pages: pages)
        OperatorPages.add(to: &routes, pages: pages)
        AuditPages.add(to: &routes, pages: pages)
        PrivacyPages.add(to: &routes, pages: pages)
        ResidencyPages.add(to: &routes, pages: pages)
        JobPages.add(to: &routes, pages: pages)
        NodePages.add(to: &routes, pages: pages)
        ProjectPages.add(to: &routes, pages: pages)
        TrainingPages.add(to: &routes, pages: pages)
        ModelPages.add(to: &routes, pages: pages)
        DeploymentPages.add(to: &routes, pages: pages)
        CanaryPages.add(to: &routes, pages: pages)
        DeploymentVariantPages.add(to: &routes, pages: pages)
        FeaturePages.add(to: &routes, pages: pages)
        ProjectAccessPages.add(to: &routes, pages: pages)
        AccountAPI.add(to: &routes, environment: environment)
        MembersAPI.add(to: &routes, environment: environment)
        InvitationsAPI.add(to: &routes, environment: environment)
        RolesAPI.add(to: &routes, environment: environment)
        APIKeysAPI.add(to: &routes, environment: environment)
        SecuritySettingsAPI.add(to: &routes, environment: environment)
        AuditAPI.add(to: &routes, environment: environment)
        PrivacyAPI.add(to: &routes, environment: environment)
        RetentionAPI.add(to: &routes, environment: environment)
        ResidencyAPI.add(to: &routes, environment: environment)
        JobsAPI.add(to: &routes, environment: environment)
        NodesAPI.add(to: &routes, environment: environment)
        ProjectsAPI.add(to: &routes, environment: environment)
        OpenAPIAPI.add(to: &routes)
        AgentAPI.add(to: &routes, environment: environment)
        routes.get("/static/**", access: .open, staticFiles.handler(mountDepth: 1))
        routes.get("/favicon.ico", access: .open) { request in try staticFiles.response(for: request, relativeSegments: ["favicon.svg"]) }

        let router = routes.builder.build(
            errorRenderer: PortalErrorRenderer(templates: templates, logger: environment.logger),
            observers: [metrics, AccessLog(logger: environment.logger)],
            logger: environment.logger
        )
        return (router, routes.catalog)
    }
}

/// Headers every portal response carries: no MIME sniffing, no framing by other sites, a strict CSP.
struct SecurityHeaders: Middleware {
    func handle(_ request: Request, next: RequestHandler) async throws -> Response {
        var response = try await next(request)
        response.headerFields[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        response.headerFields[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headerFields[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        if response.headerFields[.contentType]?.hasPrefix("text/html") == true {
            response.headerFields[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"
        }
        return response
    }
}
