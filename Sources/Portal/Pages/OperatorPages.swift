import Foundation
import HTTPTypes
import Residency
import Tenancy
import WebServer

/// The platform operator console: sign-in, the tenants table, suspend/reactivate, and creating a tenant with an
/// owner invitation. The operator cookie is scoped to `/operator`.
enum OperatorPages {
    /// Adds the routes.
    static func add(to routes: inout PortalRoutes, pages: Pages) {
        routes.get("/operator/login", access: .anyone) { request in
            if case .platformOperator = request.principal { return Pages.redirect("/operator") }
            return await pages.render("operator-login", request, title: "Operator sign-in")
        }

        routes.post("/operator/login", access: .anyone) { request in
            let form = request.form
            do {
                let token = try await pages.tenancy.operators.login(email: form["email"], password: form["password"], clientAddress: request.clientIP)
                return Pages.redirect("/operator", setting: Cookies.make(Cookies.operatorSession, token, path: "/operator", request: request))
            } catch let error as TenancyError {
                var response = await pages.render(
                    "operator-login",
                    request,
                    title: "Operator sign-in",
                    ["email": form["email"], "formError": error.description],
                    status: error.status
                )
                for field in error.headerFields { response.headerFields.append(field) }
                return response
            }
        }

        routes.post("/operator/logout", access: .anyone) { request in
            if case .platformOperator(_, let token) = request.principal { try await pages.tenancy.operators.logout(token) }
            return Pages.redirect("/operator/login", setting: Cookies.make(Cookies.operatorSession, "", path: "/operator", maxAge: 0, request: request))
        }

        routes.get("/operator", access: .platformOperator) { request in
            let notice: Any = switch request.query("done") {
            case "suspended": "The tenant was suspended; its members can no longer sign in."
            case "reactivated": "The tenant was reactivated."
            default: false
            }
            return try await consolePage(request, pages: pages, ["notice": notice])
        }

        routes.post("/operator/tenants/:id/suspend", access: .platformOperator) { request in
            let (session, _) = try request.requireOperator()
            try await pages.tenancy.operators.suspend(session, tenant: try tenantID(request))
            return Pages.redirect("/operator?done=suspended")
        }

        routes.post("/operator/tenants/:id/reactivate", access: .platformOperator) { request in
            let (session, _) = try request.requireOperator()
            try await pages.tenancy.operators.reactivate(session, tenant: try tenantID(request))
            return Pages.redirect("/operator?done=reactivated")
        }

        routes.post("/operator/tenants", access: .platformOperator) { request in
            let (session, _) = try request.requireOperator()
            let form = request.form
            let baseURL = Pages.baseURL(request)
            do {
                let created = try await pages.tenancy.operators.createTenant(
                    session,
                    organisation: form["organisation"],
                    region: form["region"],
                    plan: form["plan"],
                    ownerEmail: form["owner_email"],
                    baseURL: baseURL
                )
                let model: [String: Any] = [
                    "name": created.tenant.displayName,
                    "region": created.tenant.homeRegion,
                    "url": "\(baseURL)/invitations/\(created.invitation)",
                ]
                return try await consolePage(request, pages: pages, ["created": model])
            } catch let error as TenancyError {
                let failure = Pages.failure(error)
                let values = ["organisation": form["organisation"], "region": form["region"], "plan": form["plan"], "owner_email": form["owner_email"]]
                return try await consolePage(request, pages: pages, Pages.merge(failure.context, ["values": values]), status: failure.status)
            }
        }
    }

    private static func tenantID(_ request: Request) throws -> TenantID {
        guard let id = TenantID(request.parameters["id"] ?? "") else { throw HTTPError(.notFound, "No such tenant") }
        return id
    }

    private static func consolePage(
        _ request: Request,
        pages: Pages,
        _ extra: [String: Any],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let (session, _) = try request.requireOperator()
        let tenants = try await pages.tenancy.operators.tenants(session)
        let regions = (try? await pages.environment.regions()) ?? []
        let values = extra["values"] as? [String: String] ?? [:]
        let selected = values["region"] ?? ""
        let base: [String: Any] = [
            "tenants": tenants.map { overview -> [String: Any] in
                let tenant = overview.tenant
                return [
                    "id": tenant.id.description, "slug": tenant.slug, "name": tenant.displayName, "region": tenant.homeRegion,
                    "plan": tenant.plan, "status": tenant.status, "memberCount": overview.memberCount,
                    "isActive": tenant.isActive, "isSuspended": tenant.status == "suspended",
                ]
            },
            "regions": regions.filter(\.isActive).map { ["id": $0.id, "displayName": $0.displayName, "isSelected": $0.id == selected] },
            "plans": ["free", "team", "enterprise"].map { plan -> [String: Any] in ["name": plan, "isSelected": plan == (values["plan"] ?? "")] },
        ]
        return await pages.render("operator", request, title: "Operator console", Pages.merge(base, extra), status: status)
    }
}
