import Foundation
import HTTPTypes
import Residency
import Tenancy
import WebServer

/// The roles page: the built-in permission table (rendered from ``BuiltInRole/permissions``), custom roles, and
/// creating or deleting custom roles (enterprise plan, roles.manage).
enum RolePages {
    /// Adds the routes.
    static func add(to routes: inout PortalRoutes, pages: Pages) {
        routes.get("/app/roles", access: .permission(.membersRead)) { request in
            let notice: Any = switch request.query("done") {
            case "created": "The role was created."
            case "deleted": "The role was deleted."
            default: false
            }
            return try await rolesPage(request, pages: pages, ["notice": notice])
        }

        routes.post("/app/roles", access: .permission(.rolesManage)) { request in
            let context = try request.requireContext()
            let form = request.form
            do {
                _ = try await pages.tenancy.roles.create(context, name: form["name"], permissions: form.all("permissions"))
                return Pages.redirect("/app/roles?done=created")
            } catch let error as TenancyError {
                let failure = Pages.failure(error)
                let values: [String: Any] = ["name": form["name"], "permissions": form.all("permissions")]
                return try await rolesPage(request, pages: pages, Pages.merge(failure.context, ["values": values]), status: failure.status)
            }
        }

        routes.post("/app/roles/:key/delete", access: .permission(.rolesManage)) { request in
            let context = try request.requireContext()
            do {
                try await pages.tenancy.roles.delete(context, key: request.parameters["key"] ?? "")
                return Pages.redirect("/app/roles?done=deleted")
            } catch let error as TenancyError {
                return try await rolesPage(request, pages: pages, ["formError": error.description], status: error.status)
            }
        }
    }

    private static func rolesPage(
        _ request: Request,
        pages: Pages,
        _ extra: [String: Any],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let context = try request.requireContext()
        let custom = try await pages.tenancy.roles.list(context).filter { !$0.isBuiltIn }
        let builtIn = BuiltInRole.allCases
        let matrix: [[String: Any]] = Permission.allCases.map { permission in
            [
                "name": permission.rawValue,
                "summary": permission.summary,
                "cells": builtIn.map { ["yes": $0.permissions.contains(permission)] },
            ]
        }
        let checked = Set((extra["values"] as? [String: Any])?["permissions"] as? [String] ?? [])
        let isEnterprise = context.tenant.plan == "enterprise"
        let base: [String: Any] = [
            "roleColumns": builtIn.map(\.displayName),
            "matrix": matrix,
            "customRoles": custom.map {
                ["name": $0.displayName, "key": $0.key, "permissions": $0.permissions.sorted().map(\.rawValue).joined(separator: ", ")]
            },
            "hasCustomRoles": !custom.isEmpty,
            "isEnterprise": isEnterprise,
            "canManage": isEnterprise && context.allows(.rolesManage),
            "permissionOptions": context.permissions.sorted().map { ["name": $0.rawValue, "isChecked": checked.contains($0.rawValue)] },
        ]
        return await pages.render("roles", request, title: "Roles", Pages.merge(base, extra), status: status)
    }
}
