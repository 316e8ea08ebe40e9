import Foundation
import HTTPTypes
import Residency
import Tenancy
import WebServer

/// The encryption page: the tenant's data keys (ids and dates, never key material) and a button that rotates the
/// current key. Needs `security.manage`; rotation is audited as `keys.rotated` by ``TenantKeys``.
enum EncryptionPages {
    /// Adds the routes.
    static func add(to routes: inout PortalRoutes, pages: Pages) {
        routes.get("/app/encryption", access: .permission(.securityManage)) { request in
            let notice: Any = request.query("rotated") == "1" ? "A new data key now encrypts new files. Older files stay readable." : false
            return try await page(request, pages: pages, ["notice": notice])
        }

        routes.post("/app/encryption/rotate", access: .permission(.securityManage)) { request in
            let context = try request.requireContext()
            guard let keys = pages.environment.keys else { return try await page(request, pages: pages, [:], status: .serviceUnavailable) }
            do {
                try await keys.rotate(context.tenantID, actor: context.auditActor, requestID: context.requestID, sourceIP: context.clientAddress)
                return Pages.redirect("/app/encryption?rotated=1")
            } catch let error as BlobStoreError {
                return try await page(request, pages: pages, ["formError": error.description], status: .conflict)
            }
        }
    }

    private static func page(_ request: Request, pages: Pages, _ extra: [String: Any], status: HTTPResponse.Status = .ok) async throws -> Response {
        let context = try request.requireContext()
        var view: [String: Any] = ["isConfigured": pages.environment.keys != nil]
        if let keys = pages.environment.keys {
            let list = try await keys.keys(of: context.tenantID)
            view["hasKeys"] = !list.isEmpty
            view["keys"] = list.map { key -> [String: Any] in
                [
                    "id": key.id.uuidString.lowercased(), "kekID": key.kekID, "created": Pages.format(key.createdAt),
                    "retired": Pages.format(key.retiredAt), "destroyed": Pages.format(key.destroyedAt),
                    "isCurrent": key.isCurrent, "isDestroyed": key.destroyedAt != nil,
                ]
            }
        }
        return await pages.render("encryption", request, title: "Encryption", Pages.merge(view, extra), status: status)
    }

}
