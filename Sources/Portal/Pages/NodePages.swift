import ComputeAgents
import Foundation
import HTTPTypes
import Residency
import Tenancy
import WebServer

/// The nodes pages: a tenant admin's dedicated nodes and join tokens (`/app/nodes`), and the operator console's
/// nodes (`/operator/nodes`) and join tokens (`/operator/join-tokens`). A new token and its join command are shown
/// once, on the page that answers the form.
enum NodePages {
    /// What a finished action says on the page it redirects to (`?done=`).
    private static let notices = [
        "drained": "The node is draining: it takes no new work; running jobs finish.",
        "revoked": "The node was revoked; its running jobs are queued again.",
        "token-revoked": "The join token was revoked. Nodes it enrolled stay enrolled.",
    ]

    /// Adds the routes.
    static func add(to routes: inout PortalRoutes, pages: Pages) {
        routes.get("/app/nodes", access: .permission(.nodesManage)) { request in
            try await tenantPage(request, pages: pages, ["notice": notices[request.query("done") ?? ""] ?? false])
        }
        routes.post("/app/nodes/join-tokens", access: .permission(.nodesManage)) { request in
            let context = try request.requireContext()
            do {
                let token = try NodeForms.tokenRequest(request.form, tenant: context.tenantID)
                let created = try await NodesAPI.createToken(token, by: .tenantAdmin(context), services: try pages.environment.requireComputeAgents(), baseURL: Pages.baseURL(request))
                return try await tenantPage(request, pages: pages, ["created": NodeViews.created(created)])
            } catch let error as ComputeAgentsError {
                let failure = NodeForms.failure(error)
                return try await tenantPage(request, pages: pages, Pages.merge(failure.context, ["values": NodeForms.values(request.form)]), status: failure.status)
            }
        }
        tenantAction(&routes, "/app/nodes/join-tokens/:id/revoke", done: "token-revoked", pages: pages) { services, id, administrator in
            try await services.joinTokens.revoke(id, by: administrator)
        }
        tenantAction(&routes, "/app/nodes/:id/drain", done: "drained", pages: pages) { services, id, administrator in
            try await services.registry.drain(id, by: administrator)
        }
        tenantAction(&routes, "/app/nodes/:id/revoke", done: "revoked", pages: pages) { services, id, administrator in
            try await services.registry.revoke(id, by: administrator)
        }

        routes.get("/operator/nodes", access: .platformOperator) { request in
            try await operatorNodesPage(request, pages: pages, ["notice": notices[request.query("done") ?? ""] ?? false])
        }
        operatorAction(&routes, "/operator/nodes/:id/drain", done: "drained", back: "/operator/nodes", pages: pages) { services, id, administrator in
            try await services.registry.drain(id, by: administrator)
        }
        operatorAction(&routes, "/operator/nodes/:id/revoke", done: "revoked", back: "/operator/nodes", pages: pages) { services, id, administrator in
            try await services.registry.revoke(id, by: administrator)
        }
        routes.get("/operator/join-tokens", access: .platformOperator) { request in
            try await operatorTokensPage(request, pages: pages, ["notice": notices[request.query("done") ?? ""] ?? false])
        }
        routes.post("/operator/join-tokens", access: .platformOperator) { request in
            let administrator = try operatorAdministrator(request)
            let form = request.form
            do {
                let tenant = form["tenant"].isEmpty ? nil : try TenantID(form["tenant"]).orThrow(field: "tenant", "Choose an organisation or 'shared'")
                let created = try await NodesAPI.createToken(
                    try NodeForms.tokenRequest(form, tenant: tenant), by: administrator, services: try pages.environment.requireComputeAgents(),
                    baseURL: Pages.baseURL(request)
                )
                return try await operatorTokensPage(request, pages: pages, ["created": NodeViews.created(created)])
            } catch let error as ComputeAgentsError {
                let failure = NodeForms.failure(error)
                return try await operatorTokensPage(request, pages: pages, Pages.merge(failure.context, ["values": NodeForms.values(form)]), status: failure.status)
            }
        }
        operatorAction(&routes, "/operator/join-tokens/:id/revoke", done: "token-revoked", back: "/operator/join-tokens", pages: pages) {
            services, id, administrator in try await services.joinTokens.revoke(id, by: administrator)
        }
    }

    private typealias Action = @Sendable (ComputeAgentsServices, UUID, NodeAdministrator) async throws -> Void

    /// A POST on one node or token (`:id`) by a tenant admin that redirects back with a notice, or shows the refusal.
    private static func tenantAction(_ routes: inout PortalRoutes, _ pattern: String, done: String, pages: Pages, _ action: @escaping Action) {
        routes.post(pattern, access: .permission(.nodesManage)) { request in
            let context = try request.requireContext()
            do {
                try await action(try pages.environment.requireComputeAgents(), try id(request), .tenantAdmin(context))
                return Pages.redirect("/app/nodes?done=\(done)")
            } catch let error as ComputeAgentsError {
                return try await tenantPage(request, pages: pages, ["formError": error.publicMessage], status: error.status)
            }
        }
    }

    /// The operator's version of ``tenantAction(_:_:done:pages:_:)``.
    private static func operatorAction(_ routes: inout PortalRoutes, _ pattern: String, done: String, back: String, pages: Pages, _ action: @escaping Action) {
        routes.post(pattern, access: .platformOperator) { request in
            try await action(try pages.environment.requireComputeAgents(), try id(request), try operatorAdministrator(request))
            return Pages.redirect("\(back)?done=\(done)")
        }
    }

    private static func id(_ request: Request) throws -> UUID {
        guard let id = UUID(uuidString: request.parameters["id"] ?? "") else { throw HTTPError(.notFound, "No such node or join token") }
        return id
    }

    private static func operatorAdministrator(_ request: Request) throws -> NodeAdministrator {
        let (session, _) = try request.requireOperator()
        return .platformOperator(id: session.id, requestID: request.id, clientAddress: request.clientIP)
    }

    private static func tenantPage(_ request: Request, pages: Pages, _ extra: [String: Any], status: HTTPResponse.Status = .ok) async throws -> Response {
        let context = try request.requireContext()
        let services = try pages.environment.requireComputeAgents()
        let administrator = NodeAdministrator.tenantAdmin(context)
        async let agents = services.registry.list(by: administrator)
        async let tokens = services.joinTokens.list(by: administrator)
        let regions = try await RegionChoices.processing(context, pages: pages)
        let values = extra["values"] as? [String: String] ?? NodeForms.defaults
        let base: [String: Any] = [
            "tenantName": context.tenant.displayName,
            "nodes": try await agents.map { NodeViews.node($0, tenantNames: [:]) },
            "tokens": try await tokens.map { NodeViews.token($0, tenantNames: [:]) },
            "regions": regions.map { ["id": $0.id, "displayName": $0.displayName, "isSelected": $0.id == values["region"]] },
            "values": values,
            "actionBase": "/app/nodes",
            "tokenActionBase": "/app/nodes/join-tokens",
        ]
        return await pages.render("nodes", request, title: "Nodes", Pages.merge(base, extra), status: status)
    }

    private static func operatorNodesPage(_ request: Request, pages: Pages, _ extra: [String: Any]) async throws -> Response {
        let administrator = try operatorAdministrator(request)
        let agents = try await pages.environment.requireComputeAgents().registry.list(by: administrator)
        let names = try await tenantNames(pages)
        let base: [String: Any] = [
            "nodes": agents.map { NodeViews.node($0, tenantNames: names) }, "isOperator": true, "actionBase": "/operator/nodes",
        ]
        return await pages.render("operator-nodes", request, title: "Nodes", Pages.merge(base, extra))
    }

    private static func operatorTokensPage(_ request: Request, pages: Pages, _ extra: [String: Any], status: HTTPResponse.Status = .ok) async throws -> Response {
        let administrator = try operatorAdministrator(request)
        let tokens = try await pages.environment.requireComputeAgents().joinTokens.list(by: administrator)
        let tenants = try await pages.tenancy.environment.directory.all().filter(\.isActive)
        let names = Dictionary(tenants.map { ($0.id.description, $0.displayName) }, uniquingKeysWith: { first, _ in first })
        let regions = try await RegionCatalog(directory: pages.tenancy.environment.router.directory).all().filter(\.isActive)
        let values = extra["values"] as? [String: String] ?? NodeForms.defaults
        let base: [String: Any] = [
            "tokens": tokens.map { NodeViews.token($0, tenantNames: names) }, "isOperator": true, "tokenActionBase": "/operator/join-tokens",
            "regions": regions.map { ["id": $0.id, "displayName": $0.displayName, "isSelected": $0.id == values["region"]] },
            "tenants": tenants.map { ["id": $0.id.description, "name": $0.displayName, "region": $0.homeRegion, "isSelected": $0.id.description == values["tenant"]] },
            "values": values,
        ]
        return await pages.render("join-tokens", request, title: "Join tokens", Pages.merge(base, extra), status: status)
    }

    private static func tenantNames(_ pages: Pages) async throws -> [String: String] {
        let tenants = try await pages.tenancy.environment.directory.all()
        return Dictionary(tenants.map { ($0.id.description, $0.displayName) }, uniquingKeysWith: { first, _ in first })
    }
}

fileprivate extension Optional {
    /// The value, or a field error naming `field`.
    func orThrow(field: String, _ message: String) throws -> Wrapped {
        guard let self else { throw ComputeAgentsError.invalid(field: field, message) }
        return self
    }
}
