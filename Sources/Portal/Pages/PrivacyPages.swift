import Foundation
import HTTPTypes
import Residency
import Tenancy
import WebServer

/// The data-subject requests page (`/app/privacy`: list, request an export or erasure of a member, download ready
/// exports) and the records of processing (`/app/privacy/processing`).
enum PrivacyPages {
    /// What a finished action says on the page it redirects to (`?done=`).
    private static let notices = [
        "export": "The export was requested. It is prepared in the background; download it here when it is ready.",
        "erasure": "The erasure was requested. It runs in the background and cannot be undone.",
    ]

    /// Adds the routes.
    static func add(to routes: inout PortalRoutes, pages: Pages) {
        routes.get("/app/privacy", access: .permission(.membersManage)) { request in
            try await privacyPage(request, pages: pages, ["notice": notices[request.query("done") ?? ""] ?? false])
        }
        action(&routes, "/app/privacy/exports", done: "export", pages: pages) { context, id, _ in
            _ = try await pages.tenancy.dataSubjectRequests.requestExport(context, subject: id)
        }
        action(&routes, "/app/privacy/erasures", done: "erasure", pages: pages) { context, id, form in
            guard form["confirm"] == "erase" else { throw TenancyError.invalid(field: "confirm", "Tick the box to confirm the erasure") }
            _ = try await pages.tenancy.dataSubjectRequests.requestErasure(context, subject: id)
        }
        routes.get("/app/privacy/requests/:id/download", access: .permission(.membersManage)) { request in
            guard let id = UUID(uuidString: request.parameters["id"] ?? "") else { throw HTTPError(.notFound, "No such export") }
            let json = try await pages.tenancy.dataSubjectRequests.downloadExport(try request.requireContext(), id: id)
            var response = Response.json(Array(json))
            response.headerFields[.cacheControl] = "no-store"
            response.headerFields[HTTPField.Name("Content-Disposition")!] = "attachment; filename=\"personal-data-export-\(id.uuidString.lowercased()).json\""
            return response
        }
        routes.get("/app/privacy/processing", access: .permission(.auditRead)) { request in
            let context = try request.requireContext()
            let records = try await pages.tenancy.dataSubjectRequests.processingRecords(context)
            let rows: [[String: Any]] = records.map {
                [
                    "category": $0.activity.category, "fields": $0.activity.fields.joined(separator: ", "), "purpose": $0.activity.purpose,
                    "legalBasis": $0.activity.legalBasis, "retention": $0.retention, "region": $0.region, "country": $0.country,
                    "jurisdiction": $0.jurisdiction,
                ]
            }
            return await pages.render("processing", request, title: "Records of processing", ["tenantName": context.tenant.displayName, "records": rows])
        }
    }

    /// A POST naming a member (`user_id`) that redirects back with a notice, or shows the refusal on the page.
    private static func action(
        _ routes: inout PortalRoutes,
        _ pattern: String,
        done: String,
        pages: Pages,
        _ body: @escaping @Sendable (RequestContext, UUID, FormData) async throws -> Void
    ) {
        routes.post(pattern, access: .permission(.membersManage)) { request in
            let context = try request.requireContext()
            let form = request.form
            do {
                guard let id = UUID(uuidString: form["user_id"]) else { throw TenancyError.invalid(field: "user_id", "Choose a member") }
                try await body(context, id, form)
                return Pages.redirect("/app/privacy?done=\(done)")
            } catch let error as TenancyError {
                return try await privacyPage(request, pages: pages, ["formError": error.description], status: error.status)
            }
        }
    }

    private static func privacyPage(_ request: Request, pages: Pages, _ extra: [String: Any], status: HTTPResponse.Status = .ok) async throws -> Response {
        let context = try request.requireContext()
        async let members = pages.tenancy.members.list(context)
        async let requests = pages.tenancy.dataSubjectRequests.list(context)
        let people = try await members
        let names = Dictionary(people.map { ($0.id, "\($0.displayName) <\($0.email)>") }, uniquingKeysWith: { first, _ in first })
        let rows: [[String: Any]] = try await requests.map { item in
            [
                "id": item.id.uuidString.lowercased(),
                "kind": item.isTenantErasure ? "Erase organisation" : (item.kind == .export ? "Export" : "Erasure"),
                "subject": item.subjectUserID.map { names[$0] ?? "Erased user (\($0.uuidString.lowercased().prefix(8)))" } ?? "Whole organisation",
                "status": item.status.rawValue,
                "created": Pages.format(item.createdAt),
                "expires": Pages.format(item.export?.expiresAt),
                "canDownload": item.export?.isAvailable ?? false,
            ]
        }
        let base: [String: Any] = [
            "tenantName": context.tenant.displayName,
            "members": people.map { ["id": $0.id.uuidString.lowercased(), "label": "\($0.displayName) <\($0.email)>"] },
            "requests": rows,
            "hasRequests": !rows.isEmpty,
            "days": DataSubjectRequests.exportLifetimeDays,
        ]
        return await pages.render("privacy", request, title: "Data-subject requests", Pages.merge(base, extra), status: status)
    }
}
