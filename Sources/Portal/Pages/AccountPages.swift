import Foundation
import HTTPTypes
import Residency
import Tenancy
import WebServer

/// The dashboard, the account page, "sign out everywhere" and MFA enrolment.
enum AccountPages {
    /// Adds the routes.
    static func add(to routes: inout PortalRoutes, pages: Pages) {
        routes.get("/app", access: .permission(.tenantRead)) { request in
            let context = try request.requireContext()
            let permissions = context.permissions.sorted().map { ["name": $0.rawValue, "summary": $0.summary] }
            return await pages.render(
                "dashboard",
                request,
                title: context.tenant.displayName,
                [
                    "tenant": [
                        "name": context.tenant.displayName, "slug": context.tenant.slug, "region": context.region,
                        "plan": context.tenant.plan.capitalized,
                    ],
                    "role": context.role.displayName,
                    "permissionCount": permissions.count,
                    "permissions": permissions,
                ]
            )
        }

        routes.get("/app/account", access: .permission(.tenantRead)) { request in
            let session = try request.requireSession()
            return await pages.render(
                "account",
                request,
                title: "Account",
                [
                    "member": ["displayName": session.member.displayName, "email": session.member.email, "hasMFA": session.member.hasMFA],
                    "role": session.context.role.displayName,
                    "tenantName": session.context.tenant.displayName,
                ]
            )
        }

        routes.post("/app/account/logout-everywhere", access: .permission(.tenantRead)) { request in
            let session = try request.requireSession()
            try await pages.tenancy.authenticator.logoutEverywhere(session)
            return Pages.redirect("/login", setting: Cookies.make(Cookies.session, "", maxAge: 0, request: request))
        }

        routes.get("/app/account/mfa", access: .signedIn) { request in
            let session = try request.requireSession()
            return await mfaPage(request, session: session, pages: pages, [:])
        }

        routes.post("/app/account/mfa/start", access: .signedIn) { request in
            let session = try request.requireSession()
            do {
                let enrolment = try await pages.tenancy.multiFactor.beginEnrolment(session)
                return await mfaPage(request, session: session, pages: pages, ["enrolment": ["secret": enrolment.secret, "uri": enrolment.uri]])
            } catch let error as TenancyError {
                let failure = Pages.failure(error)
                return await mfaPage(request, session: session, pages: pages, failure.context, status: failure.status)
            }
        }

        routes.post("/app/account/mfa/confirm", access: .signedIn) { request in
            let session = try request.requireSession()
            do {
                let (codes, token) = try await pages.tenancy.multiFactor.confirmEnrolment(session, code: request.form["code"])
                var response = await pages.render(
                    "account-mfa",
                    request,
                    title: "Two-step verification",
                    ["hasRecoveryCodes": true, "recoveryCodes": codes]
                )
                Cookies.set(Pages.sessionCookie(token, request: request), on: &response)
                return response
            } catch let error as TenancyError {
                // The secret and URI travel back in hidden fields only to show them again; the server kept its copy.
                var failure = Pages.failure(error)
                if failure.context["errors"] == nil { failure.context["errors"] = ["code": error.description] }
                failure.context["enrolment"] = ["secret": request.form["secret"], "uri": request.form["uri"]]
                return await mfaPage(request, session: session, pages: pages, failure.context, status: failure.status)
            }
        }
    }

    private static func mfaPage(
        _ request: Request,
        session: SignedInSession,
        pages: Pages,
        _ context: [String: Any],
        status: HTTPResponse.Status = .ok
    ) async -> Response {
        let isEnrolling = context["enrolment"] != nil
        let base: [String: Any] = [
            "mustEnrol": session.mustEnrolMFA,
            "isEnabled": session.member.hasMFA && !isEnrolling,
            "canStart": !session.member.hasMFA && !isEnrolling,
        ]
        return await pages.render("account-mfa", request, title: "Two-step verification", Pages.merge(base, context), status: status)
    }
}
