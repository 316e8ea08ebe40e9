import Foundation
import PostgresClient
import Residency

extension DataSubjectRequestRunner {
    /// Export in one step (`sealed`): collect the person's rows from the home cell, seal the JSON, store it with a
    /// 7-day expiry and mark the request done with `privacy.export_ready` — one transaction, so a retry starts clean.
    func export(_ request: DataSubjectRequest, tenant: TenantID) async throws {
        guard let user = request.subjectUserID else { throw TenancyError.notFound("An export needs a subject") }
        guard let summary = try await environment.directory.tenant(tenant) else { throw ResidencyError.unknownTenant(tenant) }
        let organisation = PersonalDataExport.Organisation(id: tenant.description, slug: summary.slug, region: summary.homeRegion)
        let exportKey = environment.secrets.exportKey
        try checkpoint(request, "collect")
        try await router.withTenantTransaction(tenant) { connection in
            let json = try await PersonalDataExport.collect(user: user, organisation: organisation, on: connection).encoded()
            let sealed = try ExportSealing.seal(json, exportKey: exportKey, tenant: tenant, request: request.id)
            try await connection.execute(
                """
                INSERT INTO data_exports (tenant_id, request_id, sealed, wrapped_key, size_bytes, expires_at)
                VALUES (\(tenant.rawValue), \(request.id), \(Data(sealed.sealed)), \(Data(sealed.wrappedKey)), \(json.count),
                        now() + make_interval(days => \(DataSubjectRequests.exportLifetimeDays)::int))
                ON CONFLICT (tenant_id, request_id) DO NOTHING
                """
            )
            try checkpoint(request, "seal")
            let event = AuditEvent(
                actor: .system, action: "privacy.export_ready", target: "user:\(user.uuidString.lowercased())",
                details: ["request": request.id.uuidString.lowercased(), "bytes": String(json.count)]
            )
            try await Self.finish(request, tenant: tenant, event: event, on: connection)
        }
    }
}
