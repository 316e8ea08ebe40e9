import FalajCrypto
import Foundation
import PostgresClient
import Residency
import Tenancy
import TestSupport
import Testing

/// Tenant isolation is enforced by Postgres: the application role, with one tenant set, sees none of another
/// tenant's rows in any tenant-owned table, even with no WHERE clause.
@Suite struct IsolationTests {
    @Test func everyTenantOwnedTableHidesOtherTenantsRowsFromTheApplicationRole() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            // Two tenants in the same cell, each with rows in every tenant-owned table.
            var tenants: [SignedInSession] = []
            let keys = TenantKeys(router: environment.router, keyrings: TenancyTestEnvironment.regions.map { RegionKeyring(region: $0.id, current: .generate()) })
            for name in ["Alpha", "Beta"] {
                let owner = try await fixtures.tenant(name, region: "eu-west-1", plan: "enterprise")
                _ = try await fixtures.member(of: owner, role: "viewer")
                _ = try await environment.services.members.invite(owner.context, email: "pending-\(name)@example.com", roleKey: "auditor", baseURL: "http://test")
                _ = try await environment.services.apiKeys.create(owner.context, name: "ci", permissions: ["members.read"], expiresInDays: 30)
                _ = try await environment.services.roles.create(owner.context, name: "Steward \(name)", permissions: ["data.read"])
                let enrolment = try await environment.services.multiFactor.beginEnrolment(owner)
                let secret = try Base32.decode(enrolment.secret)
                _ = try await environment.services.multiFactor.confirmEnrolment(owner, code: TOTP(secret: secret).code(at: Date()))
                // Residency and privacy tables: a data key, a retention policy, an export request and its sealed export.
                _ = try await keys.rotate(owner.context.tenantID, actor: .system)
                try await environment.router.withTenantTransaction(owner.context.tenantID) { connection in
                    try await RetentionPolicies.set(.outbox, days: 30, tenant: owner.context.tenantID, on: connection)
                }
                let session = try await fixtures.session(
                    try await environment.services.authenticator.login(email: owner.member.email, password: TenancyFixtures.password, clientAddress: "1", userAgent: "").token
                )
                _ = try await environment.services.dataSubjectRequests.requestExport(owner.context, subject: session.member.id)
                // Compute jobs (ComputeAgents): a job with an attempt, a log chunk, an event and an artifact.
                try await environment.router.withTenantTransaction(owner.context.tenantID) { connection in
                    let (tenant, job) = (owner.context.tenantID.rawValue, UUID())
                    try await connection.execute(
                        """
                        INSERT INTO jobs (tenant_id, id, kind, cpu_millis, memory_bytes, fair_seq, allowed_regions, submitted_by, state, attempt)
                        VALUES (\(tenant), \(job), 'drift.check', 1000, 0, 1, ARRAY['eu-west-1'], 'system', 'running', 1)
                        """
                    )
                    try await connection.execute(
                        """
                        INSERT INTO job_attempts (tenant_id, job_id, attempt, agent_id, agent_region, token_hash, state)
                        VALUES (\(tenant), \(job), 1, \(UUID()), 'eu-west-1', \(SecureRandom.bytes(count: 32)), 'started')
                        """
                    )
                    try await connection.execute("INSERT INTO job_log_chunks (tenant_id, job_id, attempt, seq, data) VALUES (\(tenant), \(job), 1, 0, \([UInt8]("hi".utf8)))")
                    try await connection.execute("INSERT INTO job_events (tenant_id, job_id, attempt, kind, event_time) VALUES (\(tenant), \(job), 1, 'started', now())")
                    try await connection.execute(
                        """
                        INSERT INTO job_artifacts (tenant_id, job_id, attempt, path, blob_name, size_bytes, sha256)
                        VALUES (\(tenant), \(job), 1, 'model.bin', 'jobs/x/1/model.bin', 2, \(String(repeating: "a", count: 64)))
                        """
                    )
                }
                // Projects and datasets (Platform): a project with a dataset and one version.
                try await environment.router.withTenantTransaction(owner.context.tenantID) { connection in
                    let (tenant, project, dataset) = (owner.context.tenantID.rawValue, UUID(), UUID())
                    try await connection.execute(
                        "INSERT INTO projects (tenant_id, id, slug, name, created_by) VALUES (\(tenant), \(project), 'churn', 'Churn', 'system')"
                    )
                    try await connection.execute(
                        """
                        INSERT INTO datasets (tenant_id, id, project_id, name, created_by)
                        VALUES (\(tenant), \(dataset), \(project), 'customers', 'system')
                        """
                    )
                    try await connection.execute(
                        """
                        INSERT INTO dataset_versions (tenant_id, dataset_id, version, source_format, columns, row_count, uploaded_bytes, size_bytes,
                                                      sha256, blob_name, created_by)
                        VALUES (\(tenant), \(dataset), 1, 'csv', '[]', 0, 0, 0, \(String(repeating: "b", count: 64)), 'datasets/x/1.csv', 'system')
                        """
                    )
                    // The feature store: an entity, a group with a version, an offline and an online row, a push record.
                    let (entity, group) = (UUID(), UUID())
                    try await connection.execute(
                        """
                        INSERT INTO entities (tenant_id, id, project_id, name, join_key, key_type, created_by)
                        VALUES (\(tenant), \(entity), \(project), 'customer', 'customer_id', 'string', 'system')
                        """
                    )
                    try await connection.execute(
                        """
                        INSERT INTO feature_groups (tenant_id, id, project_id, entity_id, name, created_by)
                        VALUES (\(tenant), \(group), \(project), \(entity), 'stats', 'system')
                        """
                    )
                    try await connection.execute(
                        "INSERT INTO feature_group_versions (tenant_id, group_id, version, features, created_by) VALUES (\(tenant), \(group), 1, '[]', 'system')"
                    )
                    try await connection.execute(
                        """
                        INSERT INTO feature_rows (tenant_id, group_id, version, entity_key, event_time, feature_values, source)
                        VALUES (\(tenant), \(group), 1, 'c1', now(), '{}', 'push')
                        """
                    )
                    try await connection.execute(
                        """
                        INSERT INTO online_features (tenant_id, group_id, entity_key, version, event_time, feature_values)
                        VALUES (\(tenant), \(group), 'c1', 1, now(), '{}')
                        """
                    )
                    try await connection.execute(
                        """
                        INSERT INTO feature_push_requests (tenant_id, group_id, idempotency_key, request_sha256, row_count)
                        VALUES (\(tenant), \(group), 'k', \(String(repeating: "c", count: 64)), 1)
                        """
                    )
                    try await connection.execute(
                        """
                        INSERT INTO feature_group_ingestions (tenant_id, id, group_id, version, dataset_id, dataset_version, row_count, skipped_count, created_by)
                        VALUES (\(tenant), \(UUID()), \(group), 1, \(dataset), 1, 0, 0, 'system')
                        """
                    )
                    try await connection.execute(
                        """
                        INSERT INTO feature_services (tenant_id, id, project_id, name, features, created_by)
                        VALUES (\(tenant), \(UUID()), \(project), 'churn-model', '{stats:*}', 'system')
                        """
                    )
                    try await connection.execute(
                        """
                        INSERT INTO project_members (tenant_id, project_id, user_id, added_by)
                        VALUES (\(tenant), \(project), \(try #require(owner.context.actor.userID)), 'system')
                        """
                    )
                    // Runs and the registry: an experiment with a run (on its own job), a model with a version, an alias, a promotion.
                    let (job, experiment, run, model) = (UUID(), UUID(), UUID(), UUID())
                    try await connection.execute(
                        """
                        INSERT INTO jobs (tenant_id, id, kind, cpu_millis, memory_bytes, fair_seq, allowed_regions, submitted_by)
                        VALUES (\(tenant), \(job), 'train.builtin', 1000, 0, 1, ARRAY['eu-west-1'], 'system')
                        """
                    )
                    try await connection.execute(
                        "INSERT INTO experiments (tenant_id, id, project_id, name, created_by) VALUES (\(tenant), \(experiment), \(project), 'default', 'system')"
                    )
                    try await connection.execute(
                        """
                        INSERT INTO code_bundles (tenant_id, id, project_id, file_name, blob_name, size_bytes, sha256, created_by)
                        VALUES (\(tenant), \(UUID()), \(project), 'code.tar.gz', 'code/x', 1, \(String(repeating: "e", count: 64)), 'system')
                        """
                    )
                    try await connection.execute(
                        """
                        INSERT INTO runs (tenant_id, id, project_id, experiment_id, number, kind, job_id, created_by)
                        VALUES (\(tenant), \(run), \(project), \(experiment), 1, 'builtin', \(job), 'system')
                        """
                    )
                    try await connection.execute(
                        "INSERT INTO registered_models (tenant_id, id, project_id, name, created_by) VALUES (\(tenant), \(model), \(project), 'churn', 'system')"
                    )
                    try await connection.execute(
                        """
                        INSERT INTO model_versions (tenant_id, model_id, version, run_id, blob_name, file_name, size_bytes, sha256, format, registered_by)
                        VALUES (\(tenant), \(model), 1, \(run), 'models/x', 'model.falaj', 1, \(String(repeating: "d", count: 64)), 'falaj-model', 'system')
                        """
                    )
                    try await connection.execute(
                        "INSERT INTO model_aliases (tenant_id, model_id, alias, version, updated_by) VALUES (\(tenant), \(model), 'champion', 1, 'system')"
                    )
                    try await connection.execute(
                        """
                        INSERT INTO model_promotions (tenant_id, id, model_id, version, alias, state, requested_by)
                        VALUES (\(tenant), \(UUID()), \(model), 1, 'champion', 'applied', 'system')
                        """
                    )
                    // Serving: a deployment with a variant and a replica (on the run's job, which any job row may be).
                    let deployment = UUID()
                    try await connection.execute(
                        "INSERT INTO deployments (tenant_id, id, project_id, name, created_by) VALUES (\(tenant), \(deployment), \(project), 'churn-api', 'system')"
                    )
                    try await connection.execute(
                        """
                        INSERT INTO deployment_variants (tenant_id, deployment_id, name, model_id, version, weight)
                        VALUES (\(tenant), \(deployment), 'main', \(model), 1, 100)
                        """
                    )
                    try await connection.execute(
                        "INSERT INTO deployment_replicas (tenant_id, deployment_id, variant, job_id) VALUES (\(tenant), \(deployment), 'main', \(job))"
                    )
                    try await connection.execute(
                        "INSERT INTO deployment_revisions (tenant_id, deployment_id, revision, weights, created_by) VALUES (\(tenant), \(deployment), 1, '{\"main\": 100}', 'system')"
                    )
                    try await connection.execute(
                        """
                        INSERT INTO deployment_canaries (tenant_id, id, deployment_id, candidate, baseline, steps, bake_seconds, max_error_rate, min_requests,
                                                         revision_before, created_by)
                        VALUES (\(tenant), \(UUID()), \(deployment), 'main', 'other', '{10,50}', 60, 0.05, 20, 1, 'system')
                        """
                    )
                    try await connection.execute(
                        """
                        INSERT INTO prediction_log (tenant_id, request_id, deployment_id, variant, model_id, version, status, latency_ms, row_count)
                        VALUES (\(tenant), 'r-1', \(deployment), 'main', \(model), 1, 200, 1.5, 1)
                        """
                    )
                    try await connection.execute(
                        """
                        INSERT INTO prediction_payloads (tenant_id, request_id, deployment_id, variant, status, request)
                        VALUES (\(tenant), 'r-1', \(deployment), 'main', 200, '{"rows": []}')
                        """
                    )
                }
                tenants.append(owner)
            }
            #expect(await environment.privacyRunner().runOnce() == 2)
            let (alpha, beta) = (tenants[0].context.tenantID, tenants[1].context.tenantID)

            let tables = try await environment.asSuperuser(region: "eu-west-1") { connection in
                try await connection.query(
                    """
                    SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relkind = 'r'
                      AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
                    ORDER BY c.relname
                    """
                ).map { (try $0["relname", as: String.self], try $0["relrowsecurity", as: Bool.self], try $0["relforcerowsecurity", as: Bool.self]) }
            }
            #expect(tables.count >= 9, "tenant-owned tables: \(tables.map(\.0))")
            for (table, isEnabled, isForced) in tables {
                #expect(isEnabled && isForced, "\(table) must ENABLE and FORCE row level security")
                // Ground truth as superuser: both tenants have rows.
                let counts = try await environment.asSuperuser(region: "eu-west-1") { connection in
                    try await connection.query("SELECT tenant_id, count(*) AS n FROM \(identifier: table) GROUP BY tenant_id").map {
                        (TenantID(try $0["tenant_id", as: UUID.self]), try $0["n", as: Int.self])
                    }
                }
                #expect(Set(counts.map(\.0)) == [alpha, beta], "\(table) should hold rows of both tenants")
                // Through the application role with Beta set, no WHERE clause: only Beta's rows.
                let seen = try await environment.router.withTenantTransaction(beta) { connection in
                    try await connection.query("SELECT tenant_id FROM \(identifier: table)").map { TenantID(try $0["tenant_id", as: UUID.self]) }
                }
                #expect(!seen.isEmpty && seen.allSatisfy { $0 == beta }, "\(table) leaked rows across tenants")
                // With no tenant set at all, nothing.
                let pool = try environment.router.cell(for: "eu-west-1")
                let unscoped = try await pool.withTransaction { connection in try await connection.query("SELECT 1 FROM \(identifier: table)") }
                #expect(unscoped.isEmpty, "\(table) visible without a tenant")
            }

            // The serving controller's scope sees running canaries of every tenant, and nothing else: no other table, no
            // writes.
            let cell = try environment.router.cell(for: "eu-west-1")
            let scope: [(name: String, value: String)] = [("app.scope", "serving")]
            let canaries = try await cell.withTransaction(settings: scope) { connection in
                try await connection.query("SELECT tenant_id FROM deployment_canaries WHERE state = 'running'").map { TenantID(try $0["tenant_id", as: UUID.self]) }
            }
            #expect(Set(canaries) == [alpha, beta])
            let leaked = try await cell.withTransaction(settings: scope) { connection in
                try await connection.query("SELECT 1 FROM deployments").count + connection.query("SELECT 1 FROM prediction_log").count
                    + connection.query("SELECT 1 FROM deployment_variants").count + connection.query("SELECT 1 FROM deployment_replicas").count
            }
            #expect(leaked == 0, "the serving scope opens running canaries, variants mid-rollout and draining replicas only")
            let written = try await cell.withTransaction(settings: scope) { connection in
                try await connection.execute("UPDATE deployment_canaries SET state = 'aborted'")
            }
            #expect(written == 0, "the serving scope only reads")

            // Writing another tenant's id is refused by the policy's WITH CHECK.
            await #expect(throws: PostgresError.self) {
                try await environment.router.withTenantTransaction(beta) { connection in
                    try await connection.execute(
                        "INSERT INTO outbox (tenant_id, id, kind, recipient, subject, body) VALUES (\(alpha.rawValue), \(UUID()), 'x', 'x', 'x', 'x')"
                    )
                }
            }
            // Updates and deletes across tenants touch nothing.
            let touched = try await environment.router.withTenantTransaction(beta) { connection in
                try await connection.execute("UPDATE users SET display_name = 'hijacked' WHERE tenant_id = \(alpha.rawValue)")
                    + connection.execute("DELETE FROM sessions WHERE tenant_id = \(alpha.rawValue)")
            }
            #expect(touched == 0)
        }
    }

    @Test func applicationRoleCannotBypassRowLevelSecurity() async throws {
        try await TenancyTestEnvironment.with { environment in
            let pool = try environment.router.cell(for: "me-central-1")
            let row = try await pool.withConnection { connection in
                try await connection.query("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")[0]
            }
            #expect(try row["rolsuper", as: Bool.self] == false)
            #expect(try row["rolbypassrls", as: Bool.self] == false)
            await #expect(throws: PostgresError.self) {
                try await pool.withConnection { connection in try await connection.execute("ALTER TABLE users DISABLE ROW LEVEL SECURITY") }
            }
        }
    }

    @Test func tenantsLiveOnlyInTheirHomeCell() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let uae = try await fixtures.tenant("Dubai Dates", region: "me-central-1")
            let inOtherCell = try await environment.asSuperuser(region: "eu-west-1") { connection in
                try await connection.query("SELECT 1 FROM users WHERE tenant_id = \(uae.context.tenantID.rawValue)").count
            }
            let inHomeCell = try await environment.asSuperuser(region: "me-central-1") { connection in
                try await connection.query("SELECT 1 FROM users WHERE tenant_id = \(uae.context.tenantID.rawValue)").count
            }
            #expect(inOtherCell == 0)
            #expect(inHomeCell == 1)
            // The directory holds no e-mail address: only HMACs.
            let directoryText = try await environment.asSuperuserInDirectory { connection in
                try await connection.query("SELECT string_agg(t::text, ' ') AS all FROM login_routes t")[0]["all", as: String?.self] ?? ""
            }
            #expect(!directoryText.contains(uae.member.email))
        }
    }
}
