import Foundation
import PostgresClient
@testable import Platform
import Tabular
import Tenancy
import Testing
import TestSupport

/// Failures in the middle of a write: the database refuses one row after others were written. The offline and online
/// stores must still agree (nothing of the write is left), an idempotency key must stay usable, and a retry must
/// write everything once.
@Suite struct FeatureStoreFailureTests {
    /// Makes the cell refuse writes of entity `boom` to `table` (a trigger, as the superuser), or lifts that again.
    static func refuse(_ table: String, in fixture: FeatureStoreFixture, _ refusing: Bool) async throws {
        try await fixture.environment.asSuperuser(region: "eu-west-1") { connection in
            if refusing {
                try await connection.execute(
                    """
                    CREATE OR REPLACE FUNCTION test_refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        IF NEW.entity_key = 'boom' THEN RAISE EXCEPTION 'injected failure for %', NEW.entity_key; END IF;
                        RETURN NEW;
                    END $$
                    """
                )
                try await connection.execute("CREATE TRIGGER test_refuse_boom BEFORE INSERT ON \(identifier: table) FOR EACH ROW EXECUTE FUNCTION test_refuse_boom()")
            } else {
                try await connection.execute("DROP TRIGGER test_refuse_boom ON \(identifier: table)")
            }
        }
    }

    @Test func aPushThatFailsAfterTheOfflineWriteLeavesBothStoresAndTheKeyUntouched() async throws {
        try await FeatureStoreFixture.with { fixture in
            let group = try await fixture.groupID()
            let rows = [
                FeatureStoreFixture.row("c1", "2026-03-01T00:00:00Z", ["age": .number("40")]),
                FeatureStoreFixture.row("boom", "2026-03-01T00:00:00Z", ["age": .number("41")]),
            ]
            try await Self.refuse("online_features", in: fixture, true)
            await #expect(throws: PostgresError.self) {
                try await fixture.platform.featureStore.push(rows, to: group, idempotencyKey: "retry-me", context: fixture.owner)
            }
            for table in ["feature_rows", "online_features", "feature_push_requests"] {
                #expect(try await fixture.count(table) == 0, "\(table) kept part of a failed push")
            }
            #expect(try await fixture.read(["c1"])[0].isFound == false)
            try await Self.refuse("online_features", in: fixture, false)
            let retried = try await fixture.platform.featureStore.push(rows, to: group, idempotencyKey: "retry-me", context: fixture.owner)
            #expect(!retried.isReplay && retried.rowCount == 2 && retried.onlineUpdates == 2)
            #expect(try await fixture.count("feature_rows") == 2)
            #expect(try await fixture.read(["c1", "boom"]).map(\.isFound) == [true, true])
        }
    }

    @Test func anIngestionThatFailsInALaterBatchLeavesNothingBehind() async throws {
        try await FeatureStoreFixture.with { fixture in
            var csv = "customer_id,event_time,age,spend,plan,active\n"
            for index in 0..<(FeatureStore.ingestionBatchRows + 10) {
                csv += "\(index == FeatureStore.ingestionBatchRows + 5 ? "boom" : "c\(index)"),2026-01-01T00:00:00Z,\(index % 90),1.5,free,true\n"
            }
            try await fixture.upload(csv, to: "history", types: "plan:category")
            try await Self.refuse("feature_rows", in: fixture, true)
            await #expect(throws: PostgresError.self) {
                try await fixture.platform.featureStore.ingest(dataset: "history", version: nil, into: "customer_stats", project: "churn", context: fixture.owner)
            }
            for table in ["feature_rows", "online_features", "feature_group_ingestions"] {
                #expect(try await fixture.count(table) == 0, "\(table) kept part of a failed ingestion")
            }
            #expect(try await fixture.platform.featureStore.statistics(group: "customer_stats", project: "churn", context: fixture.owner).isEmpty)
            try await Self.refuse("feature_rows", in: fixture, false)
            let receipt = try await fixture.platform.featureStore.ingest(dataset: "history", version: nil, into: "customer_stats", project: "churn", context: fixture.owner)
            #expect(receipt.rowCount == FeatureStore.ingestionBatchRows + 10)
            #expect(try await fixture.count("online_features") == FeatureStore.ingestionBatchRows + 10)
        }
    }
}
