import Foundation
@testable import Platform
import Tabular
import Tenancy
import Testing
import TestSupport

/// Point-in-time training sets, checked against tables worked out by hand: the latest value at or before each row's
/// timestamp, never a later one, within the time to live; lineage and feature services.
@Suite struct TrainingSetTests {
    /// The offline history every test starts from (pushed): c1 twice, c2 once.
    static func pushHistory(_ fixture: FeatureStoreFixture) async throws {
        _ = try await fixture.platform.featureStore.push(
            [
                FeatureStoreFixture.row("c1", "2026-01-01T00:00:00Z", ["age": .number("30"), "spend": .number("10.5"), "plan": .string("free")]),
                FeatureStoreFixture.row("c1", "2026-02-01T00:00:00Z", ["age": .number("31"), "spend": .number("12"), "active": .bool(true)]),
                FeatureStoreFixture.row("c2", "2026-01-15T00:00:00Z", ["age": .number("45")]),
            ],
            to: try await fixture.groupID(), idempotencyKey: nil, context: fixture.owner
        )
    }

    static let entityRows = """
        customer_id,event_time,label
        c1,2025-12-31T23:59:59Z,0
        c1,2026-01-01T00:00:00Z,1
        c1,2026-01-20T00:00:00Z,0
        c1,2026-03-01T00:00:00Z,1
        c2,2026-01-14T00:00:00Z,0
        c2,2026-06-01T00:00:00Z,1
        c9,2026-06-01T00:00:00Z,0
        ,2026-06-01T00:00:00Z,0

        """

    @Test func eachRowGetsTheLatestValueAtOrBeforeItsTimestampAndNeverALaterOne() async throws {
        try await FeatureStoreFixture.with { fixture in
            try await Self.pushHistory(fixture)
            try await fixture.upload(Self.entityRows, to: "labels")
            let built = try await fixture.platform.featureStore.buildTrainingSet(
                TrainingSetRequest(project: "churn", entityDataset: "labels", features: ["customer_stats:*"], output: "churn-training"), context: fixture.owner
            )
            #expect(built.version.version == 1 && built.version.rowCount == 8)
            #expect(built.version.columns.map(\.name) == ["customer_id", "event_time", "label", "age", "spend", "plan", "active"])
            // The entity columns keep their (inferred) types; the features take theirs.
            #expect(built.version.columns.map(\.type) == [.category, .timestamp, .int, .int, .float, .category, .bool])
            let expected = [
                "customer_id,event_time,label,age,spend,plan,active",
                "c1,2025-12-31T23:59:59Z,0,,,,",  // before the first value
                "c1,2026-01-01T00:00:00Z,1,30,10.5,free,",  // at the event time itself
                "c1,2026-01-20T00:00:00Z,0,30,10.5,free,",
                "c1,2026-03-01T00:00:00Z,1,31,12.0,,true",  // the newer row, which had no plan
                "c2,2026-01-14T00:00:00Z,0,,,,",  // c2's only value is a day later
                "c2,2026-06-01T00:00:00Z,1,45,,,",
                "c9,2026-06-01T00:00:00Z,0,,,,",  // an entity with no values
                ",2026-06-01T00:00:00Z,0,,,,",  // no key
            ]
            #expect(try await fixture.download("churn-training", version: 1) == expected.joined(separator: "\r\n") + "\r\n")
            let lineage = try #require(built.version.lineage)
            #expect(lineage.kind == "training_set" && lineage.entities.dataset == "labels" && lineage.entities.version == 1)
            #expect(lineage.features.map(\.reference) == ["customer_stats:age", "customer_stats:spend", "customer_stats:plan", "customer_stats:active"])
            #expect(lineage.features.allSatisfy { $0.groupVersion == 1 })
            let stored = try await fixture.platform.datasets.version(1, of: "churn-training", project: "churn", context: fixture.owner)
            #expect(stored.version.lineage == lineage, "the lineage is stored with the version")
            let groupLineage = try await fixture.platform.featureGroups.lineage("customer_stats", project: "churn", context: fixture.owner)
            #expect(groupLineage.trainingSets.map { "\($0.dataset)@\($0.version)" } == ["churn-training@1"])
            #expect(groupLineage.ingestions.isEmpty && groupLineage.materializedAt == nil)
        }
    }

    @Test func ofTwoValuesWithTheSameEventTimeTheOneWrittenLastWinsAndLateRowsCountFromTheirEventTime() async throws {
        try await FeatureStoreFixture.with { fixture in
            let group = try await fixture.groupID()
            let store = fixture.platform.featureStore
            _ = try await store.push([FeatureStoreFixture.row("c1", "2026-01-10T00:00:00Z", ["age": .number("30")])], to: group, idempotencyKey: nil, context: fixture.owner)
            _ = try await store.push([FeatureStoreFixture.row("c1", "2026-01-10T00:00:00Z", ["age": .number("33")])], to: group, idempotencyKey: nil, context: fixture.owner)
            _ = try await store.push([FeatureStoreFixture.row("c1", "2026-03-01T00:00:00Z", ["age": .number("40")])], to: group, idempotencyKey: nil, context: fixture.owner)
            // Arrives last, with an event time between the others: it counts from its own event time, never before.
            _ = try await store.push([FeatureStoreFixture.row("c1", "2026-02-01T00:00:00Z", ["age": .number("35")])], to: group, idempotencyKey: nil, context: fixture.owner)
            try await fixture.upload(
                """
                customer_id,event_time
                c1,2026-01-10T00:00:00Z
                c1,2026-01-31T23:59:59Z
                c1,2026-02-01T00:00:00Z
                c1,2026-02-28T00:00:00Z
                c1,2026-03-01T00:00:00Z

                """,
                to: "labels"
            )
            _ = try await store.buildTrainingSet(
                TrainingSetRequest(project: "churn", entityDataset: "labels", features: ["customer_stats:age"], output: "ties"), context: fixture.owner
            )
            let expected = [
                "customer_id,event_time,age",
                "c1,2026-01-10T00:00:00Z,33",  // the second write at the same instant
                "c1,2026-01-31T23:59:59Z,33",  // the late row's event time has not come yet
                "c1,2026-02-01T00:00:00Z,35",
                "c1,2026-02-28T00:00:00Z,35",
                "c1,2026-03-01T00:00:00Z,40",
            ]
            #expect(try await fixture.download("ties", version: 1) == expected.joined(separator: "\r\n") + "\r\n")
            #expect(try await fixture.read(["c1"])[0].values["customer_stats:age"]?.value == .int(40), "online, the late row did not replace the newest")
        }
    }

    @Test func valuesOlderThanTheTimeToLiveAreNotJoined() async throws {
        try await FeatureStoreFixture.with(ttlSeconds: 10 * 86_400) { fixture in
            try await Self.pushHistory(fixture)
            try await fixture.upload(
                """
                customer_id,event_time
                c1,2026-01-11T00:00:00Z
                c1,2026-01-11T00:00:01Z
                c1,2026-02-05T00:00:00Z

                """,
                to: "labels"
            )
            _ = try await fixture.platform.featureStore.buildTrainingSet(
                TrainingSetRequest(project: "churn", entityDataset: "labels", features: ["customer_stats:age"], output: "ttl-set"), context: fixture.owner
            )
            let expected = [
                "customer_id,event_time,age",
                "c1,2026-01-11T00:00:00Z,30",  // exactly ten days old: still valid
                "c1,2026-01-11T00:00:01Z,",  // a second more: expired
                "c1,2026-02-05T00:00:00Z,31",
            ]
            #expect(try await fixture.download("ttl-set", version: 1) == expected.joined(separator: "\r\n") + "\r\n")
        }
    }

    @Test func aFeatureServiceNamesTheListAndClashingColumnsArePrefixedWithTheGroup() async throws {
        try await FeatureStoreFixture.with { fixture in
            try await Self.pushHistory(fixture)
            let service = try await fixture.platform.featureServices.save(
                name: "churn-model", description: "What the churn model reads", features: ["customer_stats:age", "customer_stats:active"], project: "churn",
                context: fixture.owner
            )
            #expect(service.features == ["customer_stats:age", "customer_stats:active"])
            try await fixture.upload("customer_id,event_time,age\nc1,2026-03-01T00:00:00Z,99\n", to: "labels")
            let built = try await fixture.platform.featureStore.buildTrainingSet(
                TrainingSetRequest(project: "churn", entityDataset: "labels", featureService: "churn-model", output: "labels"), context: fixture.owner
            )
            #expect(built.version.version == 2, "the output may be the entity dataset itself: a new version")
            #expect(built.version.lineage?.featureService == "churn-model")
            #expect(built.version.lineage?.features.map(\.column) == ["customer_stats__age", "active"])
            #expect(try await fixture.download("labels", version: 2) == "customer_id,event_time,age,customer_stats__age,active\r\nc1,2026-03-01T00:00:00Z,99,31,true\r\n")
            // Online reads take the service too.
            let online = try await fixture.platform.featureStore.readOnline(
                FeatureStore.OnlineRequest(project: "churn", entityRows: [["customer_id": .string("c1")]], features: [], featureService: "churn-model"),
                context: fixture.owner
            )
            #expect(online.features == ["customer_stats:age", "customer_stats:active"])
            #expect(online.results[0].values["customer_stats:age"]?.value == .int(31))
        }
    }

    @Test func entityRowsThatCannotBeJoinedAreRefusedAndStoreNothing() async throws {
        try await FeatureStoreFixture.with { fixture in
            try await fixture.upload("customer,event_time\nc1,2026-03-01T00:00:00Z\n", to: "no-key")
            try await fixture.upload("customer_id,when\nc1,yesterday\n", to: "text-time")
            let cases: [(TrainingSetRequest, String)] = [
                (TrainingSetRequest(project: "churn", entityDataset: "no-key", features: ["customer_stats:age"], output: "out"), "entity_dataset"),
                (TrainingSetRequest(project: "churn", entityDataset: "text-time", timestampColumn: "when", features: ["customer_stats:age"], output: "out"), "timestamp_column"),
                (TrainingSetRequest(project: "churn", entityDataset: "text-time", timestampColumn: "at", features: ["customer_stats:age"], output: "out"), "timestamp_column"),
                (TrainingSetRequest(project: "churn", entityDataset: "no-key", features: ["customer_stats:height"], output: "out"), "features"),
                (TrainingSetRequest(project: "churn", entityDataset: "no-key", features: ["customer_stats:age"], output: "Bad Name!"), "output"),
            ]
            for (request, field) in cases {
                do {
                    _ = try await fixture.platform.featureStore.buildTrainingSet(request, context: fixture.owner)
                    Issue.record("\(request) was accepted")
                } catch PlatformError.invalidFields(let fields) {
                    #expect(fields.keys.contains(field), "\(fields)")
                }
            }
            await #expect(throws: PlatformError.notFound("There is no feature service 'nope' in this project")) {
                try await fixture.platform.featureStore.buildTrainingSet(
                    TrainingSetRequest(project: "churn", entityDataset: "no-key", featureService: "nope", output: "out"), context: fixture.owner
                )
            }
            #expect(try await fixture.count("datasets") == 2, "no output dataset was made for a refused request")
        }
    }
}
