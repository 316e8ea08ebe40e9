import Foundation
import PostgresClient
import Residency

extension DataSubjectRequestRunner {
    /// Tables of a tenant that erasure keeps: the audit chain (append-only, pseudonymous, and the proof that the
    /// erasure happened), the request rows (the erasure's own record; other requests are deleted) and the data-key
    /// rows, which the shredding step empties of key material and keeps as the record of when the data was erased.
    static let keptTables: Set<String> = ["audit_events", "audit_chain_heads", "data_subject_requests", "tenant_data_keys"]

    /// Tenant tables in deletion order (rows that reference others first). Tables created later that are not listed
    /// are found through `information_schema` and deleted after these, in name order.
    static let erasureOrder = [
        "data_exports", "mfa_recovery_codes", "sessions", "api_keys", "memberships", "invitations", "outbox", "custom_roles", "project_members", "users",
        "tenant_settings", "retention_policies", "prediction_payloads", "prediction_log", "deployment_canaries", "deployment_revisions", "deployment_replicas", "deployment_variants", "deployments", "model_promotions", "model_aliases", "model_versions", "registered_models", "runs", "experiments", "code_bundles",
        "job_artifacts", "job_log_chunks", "job_events", "job_attempts", "jobs",
        "feature_services", "feature_group_ingestions", "feature_push_requests", "online_features", "feature_rows", "feature_group_versions", "feature_groups", "entities",
        "dataset_versions", "datasets", "projects",
    ]

    /// Erases a whole organisation in named steps, each recorded when done:
    ///
    /// 1. `tombstoned`: in the directory the tenant becomes `deleting` (so nobody can sign in or use a key) with its
    ///    name replaced by "Erased organisation"; id, slug and home region stay; login and API-key routes are deleted.
    /// 2. `rows_deleted`: every row of the tenant in its cell, table by table in batches (one transaction per batch),
    ///    except the kept tables (``keptTables``).
    /// 3. `keys_shredded`: the injected ``TenantKeyShredder`` destroys the tenant's data keys.
    /// 4. `done`: `erased_at` is set in the directory; the request is marked done with `privacy.tenant_erased`.
    func eraseTenant(_ request: DataSubjectRequest, tenant: TenantID) async throws {
        var step = request.step
        if step == "requested" {
            try checkpoint(request, "tombstone")
            try await router.directory.withTransaction { connection in
                try await connection.execute(
                    """
                    UPDATE tenants SET status = 'deleting', display_name = 'Erased organisation', status_changed_at = now()
                    WHERE id = \(tenant.rawValue)
                    """
                )
                try await connection.execute("DELETE FROM login_routes WHERE tenant_id = \(tenant.rawValue)")
                try await connection.execute("DELETE FROM api_key_routes WHERE tenant_id = \(tenant.rawValue)")
            }
            environment.apiKeyCache.invalidate(tenant: tenant.rawValue)
            step = try await record("tombstoned", request, tenant)
        }
        if step == "tombstoned" {
            for table in try await erasureTables(tenant) { try await deleteAll(table, request: request, tenant: tenant) }
            step = try await record("rows_deleted", request, tenant)
        }
        if step == "rows_deleted" {
            try checkpoint(request, "shred_keys")
            try await shredder.shred(tenant)
            step = try await record("keys_shredded", request, tenant)
        }
        try checkpoint(request, "finish")
        try await router.directory.withConnection { connection in
            try await connection.execute("UPDATE tenants SET erased_at = COALESCE(erased_at, now()) WHERE id = \(tenant.rawValue)")
        }
        try await router.withTenantTransaction(tenant) { connection in
            let event = AuditEvent(
                actor: .system, action: "privacy.tenant_erased", target: "tenant:\(tenant)",
                details: ["request": request.id.uuidString.lowercased(), "requested_by": request.requestedBy?.uuidString.lowercased() ?? "operator"]
            )
            try await Self.finish(request, tenant: tenant, event: event, on: connection)
        }
    }

    /// Every table with a `tenant_id` column that erasure empties: ``erasureOrder`` first, then any other in name order.
    func erasureTables(_ tenant: TenantID) async throws -> [String] {
        let present = try await router.withTenantTransaction(tenant) { connection in
            try await connection.query(
                """
                SELECT c.table_name FROM information_schema.columns c
                JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                WHERE c.table_schema = current_schema() AND c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE'
                ORDER BY c.table_name
                """
            ).map { try $0["table_name", as: String.self] }
        }
        let erasable = present.filter { !Self.keptTables.contains($0) }
        return Self.erasureOrder.filter(erasable.contains) + erasable.filter { !Self.erasureOrder.contains($0) } + ["data_subject_requests"]
    }

    /// Deletes the tenant's rows of `table` in batches, one transaction each (the request's own row is kept).
    private func deleteAll(_ table: String, request: DataSubjectRequest, tenant: TenantID) async throws {
        let quoted = PostgresQuery.quoteIdentifier(table)
        let keepOwnRow = table == "data_subject_requests" ? " AND id <> $2" : ""
        while true {
            try checkpoint(request, "delete_rows:\(table)")
            var bindings = PostgresBindings()
            bindings.append(configuration.batchSize)
            if !keepOwnRow.isEmpty { bindings.append(request.id) }
            // The table name comes from information_schema and is quoted; row-level security limits it to the tenant.
            let query = PostgresQuery(
                unsafeSQL: "DELETE FROM \(quoted) WHERE ctid IN (SELECT ctid FROM \(quoted) WHERE true\(keepOwnRow) LIMIT $1)",
                bindings: bindings
            )
            let deleted = try await router.withTenantTransaction(tenant) { connection in try await connection.execute(query) }
            if deleted < configuration.batchSize { return }
        }
    }

    private func record(_ step: String, _ request: DataSubjectRequest, _ tenant: TenantID) async throws -> String {
        try await router.withTenantTransaction(tenant) { connection in try await Self.complete(step, of: request, on: connection) }
        return step
    }
}
