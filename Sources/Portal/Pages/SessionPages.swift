import Foundation
import HTTPTypes
import Residency
import Tenancy
import WebServer

/// Sign-up, sign-in (with the MFA step), sign-out and switching the active organisation.
enum SessionPages {
    /// Adds the routes.
    static func add(to routes: inout PortalRoutes, pages: Pages) {
        routes.get("/signup", access: .anyone) { request in
            await signUpPage(request, pages: pages, values: [:], failure: ([:], .ok))
        }

        routes.post("/signup", access: .anyone) { request in
            let form = request.form
            let values = ["organisation": form["organisation"], "region": form["region"], "email": form["email"]]
            do {
                let result = try await pages.tenancy.signUp.signUp(
                    SignUpForm(organisation: form["organisation"], region: form["region"], email: form["email"], password: form["password"]),
                    clientAddress: request.clientIP,
                    userAgent: request.headerFields[.userAgent] ?? ""
                )
                return Pages.redirect("/app", setting: Pages.sessionCookie(result.session, request: request))
            } catch let error as TenancyError {
                return await signUpPage(request, pages: pages, values: values, failure: Pages.failure(error))
            }
        }

        routes.get("/login", access: .anyone) { request in
            let notice = request.query("accepted") == "1" ? "Your account is ready. Sign in with your new password." : nil
            return await pages.render(
                "login",
                request,
                title: "Sign in",
                ["next": PercentEncoding.localRedirect(request.query("next") ?? "", fallback: ""), "notice": notice ?? false]
            )
        }

        routes.post("/login", access: .anyone) { request in
            let form = request.form
            let next = PercentEncoding.localRedirect(form["next"])
            do {
                let result = try await pages.tenancy.authenticator.login(
                    email: form["email"],
                    password: form["password"],
                    clientAddress: request.clientIP,
                    userAgent: request.headerFields[.userAgent] ?? ""
                )
                return Pages.redirect(result.isMFAPending ? "/login/mfa" : next, setting: Pages.sessionCookie(result.token, request: request))
            } catch let error as TenancyError {
                var response = await pages.render(
                    "login",
                    request,
                    title: "Sign in",
                    ["email": form["email"], "next": form["next"], "formError": error.description],
                    status: error.status
                )
                for field in error.headerFields { response.headerFields.append(field) }
                return response
            }
        }

        routes.get("/login/mfa", access: .signedIn) { request in
            let session = try request.requireSession()
            if session.isMFAVerified { return Pages.redirect("/app") }
            return await pages.render("login-mfa", request, title: "Two-step verification")
        }

        routes.post("/login/mfa", access: .signedIn) { request in
            let session = try request.requireSession()
            do {
                let token = try await pages.tenancy.multiFactor.verify(session, code: request.form["code"])
                return Pages.redirect("/app", setting: Pages.sessionCookie(token, request: request))
            } catch let error as TenancyError {
                return await pages.render(
                    "login-mfa",
                    request,
                    title: "Two-step verification",
                    ["formError": error.description],
                    status: error.status
                )
            }
        }

        routes.post("/logout", access: .anyone) { request in
            if case .member(let session) = request.principal {
                try await pages.tenancy.authenticator.logout(session.token, email: session.member.email)
            }
            return Pages.redirect("/login", setting: Cookies.make(Cookies.session, "", maxAge: 0, request: request))
        }

        routes.post("/app/switch-tenant", access: .permission(.tenantRead)) { request in
            let session = try request.requireSession()
            guard let tenant = TenantID(request.form["tenant"]) else { throw HTTPError(.badRequest, "Choose an organisation from the list") }
            let token = try await pages.tenancy.authenticator.switchTenant(session, to: tenant, requestID: request.id)
            return Pages.redirect("/app", setting: Pages.sessionCookie(token, request: request))
        }
    }

    /// The sign-up form with the regions that accept new tenants, the typed values (never the password) and errors.
    private static func signUpPage(
        _ request: Request,
        pages: Pages,
        values: [String: String],
        failure: (context: [String: Any], status: HTTPResponse.Status)
    ) async -> Response {
        let regions = ((try? await pages.environment.regions()) ?? []).filter(\.isActive)
        let selected = values["region"] ?? ""
        let options: [[String: Any]] = regions.map { region in
            let country = region.country.isEmpty ? region.jurisdiction : region.country
            return [
                "id": region.id,
                "displayName": region.displayName,
                "where": "data stored in \(country), \(region.jurisdiction) jurisdiction",
                "isSelected": region.id == selected,
            ]
        }
        return await pages.render(
            "signup",
            request,
            title: "Sign up",
            Pages.merge(["values": values, "regions": options], failure.context),
            status: failure.status
        )
    }
}
