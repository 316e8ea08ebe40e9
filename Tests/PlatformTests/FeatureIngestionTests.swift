import Foundation
import PostgresClient
@testable import Platform
import Tabular
import Tenancy
import Testing
import TestSupport

/// Batch ingestion from datasets into the offline store, with lineage and statistics; materialisation into the online
/// store, incremental and full.
@Suite struct FeatureIngestionTests {
    static let history = """
        customer_id,event_time,age,spend,plan,active,extra
        c1,2026-01-01T00:00:00Z,30,10.5,free,false,x
        c1,2026-02-01T00:00:00Z,31,12,pro,true,y
        c2,2026-01-15T00:00:00Z,45,,free,,z
        ,2026-01-15T00:00:00Z,50,1,free,true,no key
        c3,,50,1,free,true,no time

        """

    @Test func aDatasetFeedsTheOfflineStoreWithLineageStatisticsAndTheOnlineStore() async throws {
        try await FeatureStoreFixture.with { fixture in
            try await fixture.upload(Self.history, to: "history", types: "spend:float,plan:category,event_time:timestamp")
            let receipt = try await fixture.platform.featureStore.ingest(dataset: "history", version: nil, into: "customer_stats", project: "churn", context: fixture.owner)
            #expect(receipt.rowCount == 3 && receipt.skippedCount == 2 && receipt.datasetVersion == 1 && receipt.groupVersion == 1)
            #expect(receipt.materialization == MaterializationReceipt(rowsRead: 3, onlineUpdates: 2, isFull: false))
            #expect(try await fixture.count("feature_rows") == 3)
            #expect(try await fixture.count("feature_group_ingestions") == 1)
            let lineage = try await fixture.platform.featureGroups.lineage("customer_stats", project: "churn", context: fixture.owner)
            #expect(lineage.ingestions.map { "\($0.dataset)@\($0.datasetVersion): \($0.rowCount)+\($0.skippedCount)" } == ["history@1: 3+2"])
            #expect(lineage.materializedAt != nil && lineage.rowsSinceMaterialization == 0)
            let results = try await fixture.read(["c1", "c2"])
            #expect(results[0].values["customer_stats:age"]?.value == .int(31))
            #expect(results[0].values["customer_stats:spend"]?.value == .float(12))
            #expect(results[0].values["customer_stats:plan"]?.value == .string("pro"))
            #expect(results[1].values["customer_stats:spend"]?.value == .null)
            // Statistics of the version: three rows; age 30, 31, 45.
            let age = try #require(receipt.statistics.summary.columns.first { $0.name == "age" }?.statistics)
            #expect(age.count == 3 && age.missing == 0)
            #expect(age.numeric?.minimum == 30 && age.numeric?.maximum == 45)
            #expect(abs((age.numeric?.mean ?? 0) - 106.0 / 3) < 1e-9)
            let spend = try #require(receipt.statistics.summary.columns.first { $0.name == "spend" }?.statistics)
            #expect(spend.count == 3 && spend.missing == 1)
            // A push makes them stale; a refresh counts the pushed row.
            _ = try await fixture.platform.featureStore.push(
                [FeatureStoreFixture.row("c4", "2026-03-01T00:00:00Z", ["age": .number("20")])], to: try await fixture.groupID(), idempotencyKey: nil,
                context: fixture.owner
            )
            #expect(try await fixture.platform.featureStore.statistics(group: "customer_stats", project: "churn", context: fixture.owner).map(\.isStale) == [true])
            let refreshed = try await fixture.platform.featureStore.refreshStatistics(group: "customer_stats", project: "churn", context: fixture.owner)
            #expect(refreshed.map(\.summary.rowCount) == [4] && refreshed.map(\.isStale) == [false])
            #expect(try await fixture.platform.featureStore.refreshStatistics(group: "customer_stats", project: "churn", context: fixture.owner).isEmpty)
        }
    }

    @Test func materialisationIsIncrementalUnlessAskedToBeFull() async throws {
        try await FeatureStoreFixture.with { fixture in
            try await fixture.upload(Self.history, to: "history", types: "spend:float,plan:category")
            let store = fixture.platform.featureStore
            let receipt = try await store.ingest(dataset: "history", version: 1, into: "customer_stats", project: "churn", materialize: false, context: fixture.owner)
            #expect(receipt.materialization == nil)
            #expect(try await fixture.read(["c1"])[0].isFound == false, "nothing online before materialisation")
            #expect(try await store.materialize(group: "customer_stats", project: "churn", context: fixture.owner) == MaterializationReceipt(rowsRead: 3, onlineUpdates: 2, isFull: false))
            #expect(try await fixture.read(["c1"])[0].values["customer_stats:age"]?.value == .int(31))
            #expect(try await store.materialize(group: "customer_stats", project: "churn", context: fixture.owner) == MaterializationReceipt(rowsRead: 0, onlineUpdates: 0, isFull: false))
            // The online store loses a row; only a full materialisation brings it back.
            try await fixture.environment.asSuperuser(region: "eu-west-1") { connection in
                try await connection.execute("DELETE FROM online_features WHERE entity_key = 'c2'")
            }
            #expect(try await store.materialize(group: "customer_stats", project: "churn", context: fixture.owner).onlineUpdates == 0)
            #expect(try await store.materialize(group: "customer_stats", project: "churn", full: true, context: fixture.owner) == MaterializationReceipt(rowsRead: 3, onlineUpdates: 1, isFull: true))
            #expect(try await fixture.read(["c2"])[0].values["customer_stats:age"]?.value == .int(45))
            // A dataset with older values never replaces newer online ones.
            try await fixture.upload("customer_id,event_time,age,spend,plan,active\nc1,2025-06-01T00:00:00Z,29,1,free,false\n", to: "history", types: "spend:float,plan:category")
            let older = try await store.ingest(dataset: "history", version: nil, into: "customer_stats", project: "churn", context: fixture.owner)
            #expect(older.datasetVersion == 2 && older.materialization == MaterializationReceipt(rowsRead: 1, onlineUpdates: 0, isFull: false))
            #expect(try await fixture.read(["c1"])[0].values["customer_stats:age"]?.value == .int(31))
        }
    }

    @Test func aDatasetThatDoesNotFitTheGroupIsRefusedNamingEveryProblemAndWritesNothing() async throws {
        try await FeatureStoreFixture.with { fixture in
            try await fixture.upload("customer_id,event_time,age,spend\nc1,soon,thirty,1.5\n", to: "wrong")
            do {
                _ = try await fixture.platform.featureStore.ingest(dataset: "wrong", version: nil, into: "customer_stats", project: "churn", context: fixture.owner)
                Issue.record("an unfit dataset was ingested")
            } catch PlatformError.invalidFields(let fields) {
                let message = try #require(fields["columns"])
                for part in ["'event_time' is string", "'age' is string", "no column 'plan'", "no column 'active'"] {
                    #expect(message.contains(part), "\(message)")
                }
            }
            await #expect(throws: PlatformError.notFound("Dataset 'wrong' has no version 9")) {
                try await fixture.platform.featureStore.ingest(dataset: "wrong", version: 9, into: "customer_stats", project: "churn", context: fixture.owner)
            }
            #expect(try await fixture.count("feature_rows") == 0)
            #expect(try await fixture.count("feature_group_ingestions") == 0)
        }
    }
}
