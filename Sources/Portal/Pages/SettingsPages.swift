import Foundation
import HTTPTypes
import Residency
import Tenancy
import WebServer

/// The security settings page and the API keys page.
enum SettingsPages {
    /// The expiry choices of the key form: days (empty = never) and label.
    private static let expiryChoices: [(value: String, label: String)] = [
        ("30", "In 30 days"), ("90", "In 90 days"), ("365", "In one year"), ("", "Never (until revoked)"),
    ]

    /// Adds the routes.
    static func add(to routes: inout PortalRoutes, pages: Pages) {
        routes.get("/app/security", access: .permission(.securityManage)) { request in
            let context = try request.requireContext()
            let settings = try await pages.tenancy.security.get(context)
            let values: [String: Any] = [
                "session_idle_minutes": String(settings.sessionIdleMinutes),
                "session_absolute_hours": String(settings.sessionAbsoluteHours),
                "require_mfa_for_admins": settings.requireMFAForAdmins,
                "allowed_email_domains": settings.allowedEmailDomains.joined(separator: ", "),
            ]
            let notice: Any = request.query("saved") == "1" ? "Security settings saved." : false
            return await pages.render("security", request, title: "Security", ["values": values, "notice": notice])
        }

        routes.post("/app/security", access: .permission(.securityManage)) { request in
            let context = try request.requireContext()
            let form = request.form
            let domains = form["allowed_email_domains"].split { $0 == "," || $0.isNewline || $0 == " " }.map(String.init)
            var errors: [String: String] = [:]
            let idle = Int(form["session_idle_minutes"].trimmingCharacters(in: .whitespaces))
            let absolute = Int(form["session_absolute_hours"].trimmingCharacters(in: .whitespaces))
            if idle == nil { errors["session_idle_minutes"] = "Enter a whole number of minutes" }
            if absolute == nil { errors["session_absolute_hours"] = "Enter a whole number of hours" }
            do {
                guard let idle, let absolute else { throw TenancyError.invalidFields(errors) }
                let settings = SecuritySettings(
                    sessionIdleMinutes: idle,
                    sessionAbsoluteHours: absolute,
                    requireMFAForAdmins: form["require_mfa_for_admins"] == "1",
                    allowedEmailDomains: domains
                )
                _ = try await pages.tenancy.security.update(context, settings)
                return Pages.redirect("/app/security?saved=1")
            } catch let error as TenancyError {
                let failure = Pages.failure(error)
                let values: [String: Any] = [
                    "session_idle_minutes": form["session_idle_minutes"],
                    "session_absolute_hours": form["session_absolute_hours"],
                    "require_mfa_for_admins": form["require_mfa_for_admins"] == "1",
                    "allowed_email_domains": form["allowed_email_domains"],
                ]
                return await pages.render("security", request, title: "Security", Pages.merge(failure.context, ["values": values]), status: failure.status)
            }
        }

        routes.get("/app/keys", access: .permission(.keysManage)) { request in
            let notice: Any = request.query("revoked") == "1" ? "The key was revoked." : false
            return try await keysPage(request, pages: pages, ["notice": notice])
        }

        routes.post("/app/keys", access: .permission(.keysManage)) { request in
            let context = try request.requireContext()
            let form = request.form
            do {
                let days = form["expires_days"].isEmpty ? nil : Int(form["expires_days"]) ?? -1
                let created = try await pages.tenancy.apiKeys.create(
                    context,
                    name: form["name"],
                    permissions: form.all("permissions"),
                    expiresInDays: days
                )
                return try await keysPage(request, pages: pages, ["created": ["name": created.summary.name, "secret": created.secret]])
            } catch let error as TenancyError {
                let failure = Pages.failure(error)
                let values: [String: Any] = ["name": form["name"], "permissions": form.all("permissions"), "expires_days": form["expires_days"]]
                return try await keysPage(request, pages: pages, Pages.merge(failure.context, ["values": values]), status: failure.status)
            }
        }

        routes.post("/app/keys/:id/revoke", access: .permission(.keysManage)) { request in
            let context = try request.requireContext()
            guard let id = UUID(uuidString: request.parameters["id"] ?? "") else { throw HTTPError(.notFound, "No such key") }
            try await pages.tenancy.apiKeys.revoke(context, id: id)
            return Pages.redirect("/app/keys?revoked=1")
        }
    }

    private static func keysPage(
        _ request: Request,
        pages: Pages,
        _ extra: [String: Any],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let context = try request.requireContext()
        let keys = try await pages.tenancy.apiKeys.list(context)
        let values = extra["values"] as? [String: Any]
        let checked = Set(values?["permissions"] as? [String] ?? [])
        let expiry = values?["expires_days"] as? String ?? "90"
        let rows: [[String: Any]] = keys.map { key in
            [
                "id": key.id.uuidString.lowercased(),
                "name": key.name,
                "prefix": key.prefix,
                "permissions": key.permissions.sorted().map(\.rawValue).joined(separator: ", "),
                "created": Pages.format(key.createdAt),
                "expires": key.expiresAt.map { Pages.format($0) } ?? "never",
                "lastUsed": key.lastUsedAt.map { Pages.format($0) } ?? "never",
                "isRevoked": key.revokedAt != nil,
                "revoked": Pages.format(key.revokedAt),
            ]
        }
        let base: [String: Any] = [
            "keys": rows,
            "hasKeys": !rows.isEmpty,
            "permissionOptions": context.permissions.sorted().map {
                ["name": $0.rawValue, "summary": $0.summary, "isChecked": checked.contains($0.rawValue)]
            },
            "expiryOptions": expiryChoices.map { ["value": $0.value, "label": $0.label, "isSelected": $0.value == expiry] },
        ]
        return await pages.render("keys", request, title: "API keys", Pages.merge(base, extra), status: status)
    }
}
