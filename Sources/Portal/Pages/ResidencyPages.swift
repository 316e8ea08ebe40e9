import Foundation
import HTTPTypes
import Residency
import Tenancy
import WebServer

/// The residency page: where the organisation's data, files and jobs live, and the form that changes the policy.
enum ResidencyPages {
    /// Adds the routes.
    static func add(to routes: inout PortalRoutes, pages: Pages) {
        let router = pages.tenancy.environment.router
        let policies = ResidencyPolicies(router: router)

        routes.get("/app/residency", access: .permission(.tenantRead)) { request in
            let context = try request.requireContext()
            let policy = try await policies.policy(for: context.tenantID, homeRegion: context.region)
            let notice: Any = request.query("saved") == "1" ? "Residency policy saved." : false
            return try await page(request, pages: pages, policy: policy, ["notice": notice])
        }

        routes.post("/app/residency", access: .permission(.securityManage)) { request in
            let context = try request.requireContext()
            try context.require(.securityManage)
            let form = request.form
            do {
                _ = try await policies.update(
                    tenant: context.tenantID, homeRegion: context.region, allowedProcessingRegions: form.all("allowed_processing_regions"),
                    isCrossBorderTransferAllowed: form["is_cross_border_transfer_allowed"] == "1", actor: context.auditActor,
                    requestID: context.requestID, sourceIP: context.clientAddress
                )
                return Pages.redirect("/app/residency?saved=1")
            } catch let error as ResidencyPolicyError {
                let submitted = ResidencyPolicy(
                    homeRegion: context.region, allowedProcessingRegions: form.all("allowed_processing_regions"),
                    isCrossBorderTransferAllowed: form["is_cross_border_transfer_allowed"] == "1"
                )
                let current = try await policies.policy(for: context.tenantID, homeRegion: context.region)
                let failure: [String: Any] = ["errors": error.fields, "formError": "Please correct the highlighted fields."]
                return try await page(request, pages: pages, policy: current, failure, submitted: submitted, status: error.status)
            }
        }
    }

    /// Renders the page for `policy`; the form shows `submitted` when re-displaying a rejected change.
    private static func page(
        _ request: Request,
        pages: Pages,
        policy: ResidencyPolicy,
        _ extra: [String: Any],
        submitted: ResidencyPolicy? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let context = try request.requireContext()
        let catalog = try await RegionCatalog(directory: pages.tenancy.environment.router.directory).all()
        let home = catalog.first { $0.id == policy.homeRegion }
        let form = submitted ?? policy
        let choices: [[String: Any]] = catalog.filter { $0.id != policy.homeRegion && ($0.isActive || form.allowedProcessingRegions.contains($0.id)) }.map {
            [
                "id": $0.id, "displayName": $0.displayName, "jurisdiction": $0.jurisdiction,
                "isSameJurisdiction": $0.jurisdiction == home?.jurisdiction, "isChecked": form.allowedProcessingRegions.contains($0.id),
            ]
        }
        let homeView: [String: Any] = [
            "id": policy.homeRegion, "displayName": home?.displayName ?? policy.homeRegion, "country": home?.country ?? "",
            "jurisdiction": home?.jurisdiction ?? "", "blobStore": (home?.blobStore).map { $0 as Any } ?? false,
        ]
        let base: [String: Any] = [
            "home": homeView,
            "statement": policy.statement(tenantName: context.tenant.displayName, catalog: catalog),
            "allowed": policy.allowedProcessingRegions,
            "hasAllowed": !policy.allowedProcessingRegions.isEmpty,
            "isCrossBorderTransferAllowed": policy.isCrossBorderTransferAllowed,
            "canManage": context.allows(.securityManage),
            "choices": choices,
            "hasChoices": !choices.isEmpty,
            "values": ["is_cross_border_transfer_allowed": form.isCrossBorderTransferAllowed],
        ]
        return await pages.render("residency", request, title: "Residency", Pages.merge(base, extra), status: status)
    }
}
