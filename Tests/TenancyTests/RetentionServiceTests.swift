import Foundation
import Logging
import PostgresClient
import Residency
import ServiceLifecycle
import ServiceLifecycleTestKit
import Tenancy
import TestSupport
import Testing

@Suite struct RetentionServiceTests {
    @Test func deletesOnlyRowsOlderThanThePolicyInBatches() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Retain Co")
            let other = try await fixtures.tenant("Other Retain")
            let tenant = owner.context.tenantID
            try await environment.asSuperuser(region: "eu-west-1") { connection in
                for (who, count) in [(tenant, 5), (other.context.tenantID, 3)] {
                    try await connection.execute(
                        """
                        INSERT INTO outbox (tenant_id, id, kind, recipient, subject, body, created_at, sent_at)
                        SELECT \(who.rawValue), gen_random_uuid(), 'invitation', 'x@example.com', 's', 'b', now() - interval '200 days',
                               now() - interval '100 days'
                        FROM generate_series(1, \(count))
                        """
                    )
                }
                // Recent and unsent messages stay.
                try await connection.execute(
                    """
                    INSERT INTO outbox (tenant_id, id, kind, recipient, subject, body, sent_at)
                    VALUES (\(tenant.rawValue), gen_random_uuid(), 'invitation', 'y@example.com', 's', 'b', now() - interval '10 days'),
                           (\(tenant.rawValue), gen_random_uuid(), 'invitation', 'z@example.com', 's', 'b', NULL)
                    """
                )
            }
            // The other tenant keeps sent messages for 365 days.
            try await environment.router.withTenantTransaction(other.context.tenantID) { connection in
                try await RetentionPolicies.set(.outbox, days: 365, tenant: other.context.tenantID, on: connection)
            }
            let service = RetentionService(
                router: environment.router, configuration: .init(batchSize: 2), logger: Logger(label: "test")
            )
            var deleted = 0
            for _ in 0..<4 { deleted += await service.runOnce()["outbox"] ?? 0 }
            #expect(deleted == 5)
            let (mine, theirs) = try await environment.asSuperuser(region: "eu-west-1") { connection in
                (
                    try await connection.query("SELECT count(*) AS n FROM outbox WHERE tenant_id = \(tenant.rawValue)")[0]["n", as: Int.self],
                    try await connection.query("SELECT count(*) AS n FROM outbox WHERE tenant_id = \(other.context.tenantID.rawValue)")[0]["n", as: Int.self]
                )
            }
            #expect(mine == 2 && theirs == 3)
            // Categories whose table does not exist yet (job_logs) are skipped, not errors.
            let single = try await service.enforce(tenant)
            #expect(single["job_logs"] == nil && single["prediction_payloads"] == 0 && single["sessions"] == 0)
        }
    }

    @Test func retentionServiceEndsOnGracefulShutdown() async throws {
        try await TenancyTestEnvironment.with { environment in
            let service = RetentionService(router: environment.router, configuration: .init(interval: .seconds(3600)), logger: Logger(label: "test"))
            try await testGracefulShutdown { trigger in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await service.run() }
                    try await Task.sleep(for: .milliseconds(100))
                    trigger.triggerGracefulShutdown()
                    try await group.waitForAll()
                }
            }
        }
    }

    @Test func processingRecordsUseTheTenantsPoliciesAndRegion() {
        let region = TenancyTestEnvironment.regions.first { $0.id == "me-central-1" }!
        let policies = RetentionCategory.all.map { RetentionPolicy(category: $0, days: $0 == .sessions ? 14 : $0.defaultDays, isCustom: $0 == .sessions) }
        let records = ProcessingRecords.records(policies: policies, region: region)
        #expect(records.count == ProcessingRecords.activities.count)
        #expect(records.allSatisfy { $0.region == "me-central-1" && $0.jurisdiction == "AE" && !$0.retention.isEmpty })
        #expect(records.first { $0.activity.category == "Sign-in sessions" }?.retention.hasPrefix("14 days") == true)
    }
}
