import Foundation
import PostgresClient
import Residency
import Tenancy
import TestSupport
import Testing

/// Residency policies against real Postgres: validated changes in the directory, audited in the tenant's home cell;
/// refused placements explained and audited there, and nowhere else.
@Suite struct ResidencyPolicyTests {
    /// Regions this suite adds to the test catalog (beside the environment's two cells).
    static let extraRegions = [
        Region(id: "me-central-2", displayName: "UAE (Abu Dhabi)", country: "AE", jurisdiction: "AE"),
        Region(id: "sa-east-9", displayName: "Saudi Arabia (planned)", country: "SA", jurisdiction: "SA", status: "planned"),
    ]

    /// The residency events of `tenant`, newest first, read through row-level security in its home cell.
    static func residencyEvents(_ environment: TenancyTestEnvironment, _ tenant: TenantID) async throws -> [AuditRecord] {
        try await environment.router.withTenantTransaction(tenant) { connection in
            try await AuditLog.events(AuditFilter(actionPrefix: "residency."), on: connection)
        }
    }

    @Test func updateValidatesRegionsAgainstTheCatalogAndTheHomeJurisdiction() async throws {
        try await TenancyTestEnvironment.with { environment in
            try await RegionCatalog(directory: environment.router.directory).synchronize(Self.extraRegions)
            let owner = try await TenancyFixtures(services: environment.services).tenant("Gulf Dates", region: "me-central-1").context
            let policies = ResidencyPolicies(router: environment.router)
            func update(_ regions: [String], crossBorder: Bool = false) async throws -> ResidencyPolicy {
                try await policies.update(
                    tenant: owner.tenantID, homeRegion: owner.region, allowedProcessingRegions: regions, isCrossBorderTransferAllowed: crossBorder,
                    actor: .user(owner.actor.userID!), requestID: "req-1", sourceIP: "10.1.2.3"
                )
            }
            #expect(try await policies.policy(for: owner.tenantID, homeRegion: owner.region) == ResidencyPolicy(homeRegion: "me-central-1"))

            for (regions, message) in [(["eu-west-1"], "eu-west-1 is in the EU, outside the UAE"), (["nowhere-1"], "'nowhere-1' is not a region"), (["sa-east-9"], "planned")] {
                do {
                    _ = try await update(regions)
                    Issue.record("\(regions) was accepted")
                } catch let error as ResidencyPolicyError {
                    #expect(error.fields["allowed_processing_regions"]?.contains(message) == true, "\(error)")
                }
            }
            #expect(try await policies.policy(for: owner.tenantID, homeRegion: owner.region).allowedProcessingRegions.isEmpty)
            #expect(try await Self.residencyEvents(environment, owner.tenantID).isEmpty)

            // Same jurisdiction: fine; duplicates and the home region itself are dropped.
            let dr = try await update(["me-central-2", "me-central-1", " me-central-2"])
            #expect(dr == ResidencyPolicy(homeRegion: "me-central-1", allowedProcessingRegions: ["me-central-2"]))
            #expect(try await policies.policy(for: owner.tenantID, homeRegion: owner.region) == dr)
            // Another jurisdiction needs cross-border transfer permitted.
            let wide = try await update(["eu-west-1", "me-central-2"], crossBorder: true)
            #expect(wide.allowedProcessingRegions == ["eu-west-1", "me-central-2"] && wide.isCrossBorderTransferAllowed)

            let events = try await Self.residencyEvents(environment, owner.tenantID)
            #expect(events.map(\.action) == ["residency.policy_changed", "residency.policy_changed"])
            #expect(events[0].details["allowed_processing_regions"] == "eu-west-1,me-central-2")
            #expect(events[0].details["previous_allowed_processing_regions"] == "me-central-2")
            #expect(events[0].region == "me-central-1" && events[0].requestID == "req-1" && events[0].sourceIP == "10.1.2.3")
        }
    }

    @Test func refusedPlacementIsExplainedAndAuditedOnlyInTheHomeCell() async throws {
        try await TenancyTestEnvironment.with { environment in
            try await RegionCatalog(directory: environment.router.directory).synchronize(Self.extraRegions)
            let owner = try await TenancyFixtures(services: environment.services).tenant("Acme", region: "me-central-1").context
            let policies = ResidencyPolicies(router: environment.router)
            func check(_ operation: PlacementOperation, _ region: String) async throws {
                try await policies.check(
                    tenant: owner.tenantID, homeRegion: owner.region, tenantName: "Acme", operation: operation, region: region,
                    actor: .system, requestID: "req-9", sourceIP: nil
                )
            }
            // Allowed placements leave no trace.
            try await check(.store, "me-central-1")
            try await check(.transfer, "me-central-2")
            #expect(try await Self.residencyEvents(environment, owner.tenantID).isEmpty)

            do {
                try await check(.process, "eu-west-1")
                Issue.record("processing in eu-west-1 was allowed")
            } catch let refusal as PlacementRefusal {
                #expect(refusal.rule == .processingRegionNotAllowed && refusal.region == "eu-west-1" && refusal.operation == .process)
                #expect(refusal.description.contains("Tenant data of Acme may only be processed in me-central-1"))
            }
            let storeRefusal = await #expect(throws: PlacementRefusal.self) { try await check(.store, "me-central-2") }
            #expect(storeRefusal?.rule == .homeRegionOnly)

            let events = try await Self.residencyEvents(environment, owner.tenantID)
            #expect(events.count == 2)
            let refused = try #require(events.last)
            #expect(refused.action == "residency.placement_refused" && refused.outcome == "denied" && refused.target == "region:eu-west-1")
            #expect(refused.details == ["rule": "processing-region-not-allowed", "operation": "process", "region": "eu-west-1", "home_region": "me-central-1"])
            #expect(refused.region == "me-central-1" && refused.actor == .system && refused.requestID == "req-9")
            #expect(events.first?.details["rule"] == "home-region-only")

            // The other cell holds nothing of this tenant, not even the record of the refusal.
            let elsewhere = try await environment.asSuperuser(region: "eu-west-1") { connection in
                try await connection.query("SELECT count(*) AS n FROM audit_events WHERE tenant_id = \(owner.tenantID.rawValue)")[0]["n", as: Int64.self]
            }
            #expect(elsewhere == 0)
            let chain = try await environment.router.withTenantTransaction(owner.tenantID) { try await AuditLog.verify(on: $0) }
            #expect(chain.isIntact)
        }
    }
}
