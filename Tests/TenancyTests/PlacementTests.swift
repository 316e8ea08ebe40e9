import Residency
import Testing

/// The placement function as a specification: tenant policies × regions × operations → allow, or refuse naming the rule.
@Suite struct PlacementTests {
    static let catalog = [
        Region(id: "me-central-1", displayName: "UAE (Dubai)", country: "AE", jurisdiction: "AE"),
        Region(id: "me-central-2", displayName: "UAE (Abu Dhabi)", country: "AE", jurisdiction: "AE"),
        Region(id: "eu-west-1", displayName: "EU (Ireland)", country: "IE", jurisdiction: "EU"),
        Region(id: "sa-east-9", displayName: "Saudi Arabia (planned)", country: "SA", jurisdiction: "SA", status: "planned"),
        Region(id: "me-old-1", displayName: "UAE (old)", country: "AE", jurisdiction: "AE", status: "retired"),
        Region(id: "me-drain-1", displayName: "UAE (draining)", country: "AE", jurisdiction: "AE", status: "draining"),
    ]

    /// A UAE tenant with the default policy: home only, no cross-border transfer.
    static let uaeHomeOnly = ResidencyPolicy(homeRegion: "me-central-1")
    /// A UAE tenant that allows Abu Dhabi for disaster recovery.
    static let uaeWithDR = ResidencyPolicy(homeRegion: "me-central-1", allowedProcessingRegions: ["me-central-2"])
    /// A UAE tenant that listed the EU but never permitted cross-border transfer (only possible through old data).
    static let uaeListsEUWithoutCrossBorder = ResidencyPolicy(homeRegion: "me-central-1", allowedProcessingRegions: ["eu-west-1"])
    /// A UAE tenant that listed the EU and permits cross-border transfer.
    static let uaeListsEUWithCrossBorder = ResidencyPolicy(
        homeRegion: "me-central-1", allowedProcessingRegions: ["eu-west-1", "sa-east-9"], isCrossBorderTransferAllowed: true
    )
    /// A UAE tenant permitting cross-border transfer but allowing no extra processing region.
    static let uaeCrossBorderOnly = ResidencyPolicy(homeRegion: "me-central-1", isCrossBorderTransferAllowed: true)
    /// A tenant whose home region is draining.
    static let drainingHome = ResidencyPolicy(homeRegion: "me-drain-1")

    /// (policy, operation, region, expected rule or nil for allow)
    static let table: [(ResidencyPolicy, PlacementOperation, String, PlacementRule?)] = [
        // Store: home only.
        (uaeHomeOnly, .store, "me-central-1", nil),
        (uaeHomeOnly, .store, "eu-west-1", .homeRegionOnly),
        (uaeWithDR, .store, "me-central-2", .homeRegionOnly),
        (uaeListsEUWithCrossBorder, .store, "eu-west-1", .homeRegionOnly),
        // Process: home, or allowed and (same jurisdiction or cross-border permitted).
        (uaeHomeOnly, .process, "me-central-1", nil),
        (uaeWithDR, .process, "me-central-2", nil),
        (uaeHomeOnly, .process, "me-central-2", .processingRegionNotAllowed),
        (uaeWithDR, .process, "eu-west-1", .processingRegionNotAllowed),
        (uaeCrossBorderOnly, .process, "eu-west-1", .processingRegionNotAllowed),
        (uaeListsEUWithoutCrossBorder, .process, "eu-west-1", .crossBorderProhibited),
        (uaeListsEUWithCrossBorder, .process, "eu-west-1", nil),
        // Transfer: same jurisdiction, or cross-border permitted.
        (uaeHomeOnly, .transfer, "me-central-1", nil),
        (uaeHomeOnly, .transfer, "me-central-2", nil),
        (uaeHomeOnly, .transfer, "eu-west-1", .crossBorderProhibited),
        (uaeCrossBorderOnly, .transfer, "eu-west-1", nil),
        // The catalog: unknown and closed regions refuse everything.
        (uaeHomeOnly, .store, "us-east-1", .regionUnknown),
        (uaeListsEUWithCrossBorder, .process, "us-east-1", .regionUnknown),
        (uaeCrossBorderOnly, .transfer, "us-east-1", .regionUnknown),
        (uaeListsEUWithCrossBorder, .process, "sa-east-9", .regionNotActive),
        (uaeCrossBorderOnly, .transfer, "sa-east-9", .regionNotActive),
        (uaeHomeOnly, .transfer, "me-old-1", .regionNotActive),
        (uaeHomeOnly, .transfer, "me-drain-1", .regionNotActive),
        // A draining home region still serves its own tenants.
        (drainingHome, .store, "me-drain-1", nil),
        (drainingHome, .process, "me-drain-1", nil),
        (drainingHome, .process, "me-central-1", .processingRegionNotAllowed),
        // A home region missing from the catalog refuses rather than guessing.
        (ResidencyPolicy(homeRegion: "gone-1"), .store, "gone-1", .regionUnknown),
    ]

    @Test func everyPolicyRegionAndOperationGetsTheExpectedDecision() {
        for (policy, operation, region, expected) in Self.table {
            let decision = Placement.decide(policy, operation, in: region, catalog: Self.catalog, tenantName: "Acme")
            #expect(decision.rule == expected, "\(policy) \(operation) \(region) → \(decision)")
            #expect(decision.isAllowed == (expected == nil))
        }
    }

    @Test func crossBorderRefusalExplainsItselfInPlainLanguage() {
        let decision = Placement.decide(Self.uaeListsEUWithoutCrossBorder, .process, in: "eu-west-1", catalog: Self.catalog, tenantName: "Acme")
        #expect(
            decision
                == .refuse(
                    rule: .crossBorderProhibited,
                    explanation:
                        "Tenant data of Acme may only be processed in me-central-1 (UAE); eu-west-1 is in the EU and cross-border transfer is not permitted by the tenant's policy"
                )
        )
    }

    @Test func refusalsNameTheRegionAndWhatWasAsked() {
        let store = Placement.decide(Self.uaeHomeOnly, .store, in: "eu-west-1", catalog: Self.catalog, tenantName: "Acme")
        guard case .refuse(_, let explanation) = store else { Issue.record("allowed"); return }
        #expect(explanation.contains("only be stored in its home region me-central-1 (UAE)") && explanation.contains("eu-west-1"))
        let processing = Placement.decide(Self.uaeWithDR, .process, in: "eu-west-1", catalog: Self.catalog, tenantName: "Acme")
        guard case .refuse(_, let listed) = processing else { Issue.record("allowed"); return }
        #expect(listed.contains("me-central-1, me-central-2"))
        let unknown = Placement.decide(Self.uaeHomeOnly, .store, in: String(repeating: "x", count: 500), catalog: Self.catalog, tenantName: "Acme")
        guard case .refuse(_, let long) = unknown else { Issue.record("allowed"); return }
        #expect(long.count < 200)
    }

    @Test func statementSaysWhereDataFilesAndJobsLive() {
        let sentences = Self.uaeWithDR.statement(tenantName: "Acme", catalog: Self.catalog)
        #expect(sentences[0].contains("stored only in me-central-1, UAE (Dubai)") && sentences[0].contains("files"))
        #expect(sentences[1].contains("me-central-2 (UAE)"))
        #expect(sentences[2].hasPrefix("Cross-border transfer is not permitted"))
    }
}
