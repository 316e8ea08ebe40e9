import Foundation
import Logging
@testable import Platform
import PostgresClient
import Residency
import ServiceLifecycle
import Tabular
import Tenancy
import Testing
import TestSupport

/// Pushes and online reads: offline and online stores together, late rows, idempotency, atomicity, TTL, the cache
/// and its invalidation across control-plane processes.
@Suite struct FeatureStoreTests {
    @Test func aPushWritesEveryRowOfflineAndTheNewestPerEntityOnline() async throws {
        try await FeatureStoreFixture.with { fixture in
            let group = try await fixture.groupID()
            let receipt = try await fixture.platform.featureStore.push(
                [
                    FeatureStoreFixture.row("c1", "2026-01-01T00:00:00Z", ["age": .number("30"), "spend": .number("10.5"), "plan": .string("free")]),
                    FeatureStoreFixture.row("c1", "2026-02-01T00:00:00Z", ["age": .number("31"), "spend": .number("12"), "active": .bool(true)]),
                    FeatureStoreFixture.row("c2", "2026-01-15T08:30:00+04:00", ["age": .string("45")]),
                ],
                to: group, idempotencyKey: nil, context: fixture.owner
            )
            #expect(receipt == PushReceipt(version: 1, rowCount: 3, onlineUpdates: 2, isReplay: false))
            #expect(try await fixture.count("feature_rows") == 3)
            #expect(try await fixture.count("online_features") == 2)
            let results = try await fixture.read(["c1", "c2", "nobody"])
            #expect(results.map(\.isFound) == [true, true, false])
            #expect(results[0].values["customer_stats:age"]?.value == .int(31))
            #expect(results[0].values["customer_stats:spend"]?.value == .float(12))
            #expect(results[0].values["customer_stats:plan"]?.value == .null, "the newest row had no plan")
            #expect(results[0].values["customer_stats:active"]?.value == .bool(true))
            #expect(results[0].values["customer_stats:age"]?.eventTime == ISO8601DateFormatter().date(from: "2026-02-01T00:00:00Z"))
            #expect(results[1].values["customer_stats:age"]?.eventTime == ISO8601DateFormatter().date(from: "2026-01-15T04:30:00Z"))
            #expect(results[2].values["customer_stats:age"]?.status == .missing)
        }
    }

    @Test func aLateRowGoesOfflineButDoesNotReplaceANewerOnlineValue() async throws {
        try await FeatureStoreFixture.with { fixture in
            let group = try await fixture.groupID()
            _ = try await fixture.platform.featureStore.push([FeatureStoreFixture.row("c1", "2026-03-01T00:00:00Z", ["age": .number("40")])], to: group, idempotencyKey: nil, context: fixture.owner)
            let late = try await fixture.platform.featureStore.push(
                [FeatureStoreFixture.row("c1", "2026-01-01T00:00:00Z", ["age": .number("38")])], to: group, idempotencyKey: nil, context: fixture.owner
            )
            #expect(late.rowCount == 1 && late.onlineUpdates == 0)
            #expect(try await fixture.read(["c1"])[0].values["customer_stats:age"]?.value == .int(40))
            #expect(try await fixture.count("feature_rows") == 2)
        }
    }

    @Test func anIdempotencyKeyMakesARetrySafeAndRefusesAnotherBody() async throws {
        try await FeatureStoreFixture.with { fixture in
            let group = try await fixture.groupID()
            let rows = [FeatureStoreFixture.row("c1", "2026-03-01T00:00:00Z", ["age": .number("40")])]
            let first = try await fixture.platform.featureStore.push(rows, to: group, idempotencyKey: "batch-7", context: fixture.owner)
            let again = try await fixture.platform.featureStore.push(rows, to: group, idempotencyKey: "batch-7", context: fixture.owner)
            #expect(!first.isReplay && again.isReplay && again.rowCount == 1)
            #expect(try await fixture.count("feature_rows") == 1)
            let other = [FeatureStoreFixture.row("c1", "2026-03-02T00:00:00Z", ["age": .number("41")])]
            await #expect(throws: PlatformError.self) { try await fixture.platform.featureStore.push(other, to: group, idempotencyKey: "batch-7", context: fixture.owner) }
            #expect(try await fixture.count("feature_rows") == 1)
        }
    }

    @Test func oneBadRowWritesNothingAndEveryProblemIsNamed() async throws {
        try await FeatureStoreFixture.with { fixture in
            let group = try await fixture.groupID()
            let rows = [
                FeatureStoreFixture.row("c1", "2026-03-01T00:00:00Z", ["age": .number("40")]),
                FeatureStoreFixture.row("c2", "2026-03-01T00:00:00Z", ["age": .string("forty")]),
                FeatureStoreFixture.row("c3", "yesterday", [:]),
                ["event_time": .string("2026-03-01T00:00:00Z")],
                FeatureStoreFixture.row("c5", "2026-03-01T00:00:00Z", ["height": .number("180")]),
            ]
            do {
                _ = try await fixture.platform.featureStore.push(rows, to: group, idempotencyKey: "bad", context: fixture.owner)
                Issue.record("a push with bad rows was accepted")
            } catch PlatformError.invalidFields(let fields) {
                #expect(Set(fields.keys) == ["rows[1].age", "rows[2].event_time", "rows[3].customer_id", "rows[4].height"], "\(fields)")
            }
            for table in ["feature_rows", "online_features", "feature_push_requests"] { #expect(try await fixture.count(table) == 0, "\(table)") }
        }
    }

    @Test func valuesOlderThanTheTimeToLiveReadAsExpired() async throws {
        try await FeatureStoreFixture.with(ttlSeconds: 3600) { fixture in
            let group = try await fixture.groupID()
            let fresh = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-60))
            _ = try await fixture.platform.featureStore.push(
                [FeatureStoreFixture.row("old", "2020-01-01T00:00:00Z", ["age": .number("1")]), FeatureStoreFixture.row("new", fresh, ["age": .number("2")])],
                to: group, idempotencyKey: nil, context: fixture.owner
            )
            let results = try await fixture.read(["old", "new"], ["customer_stats:age"])
            #expect(results[0].values["customer_stats:age"]?.status == .expired && results[0].values["customer_stats:age"]?.value == .null)
            #expect(results[1].values["customer_stats:age"] == FeatureStore.OnlineValue(value: .int(2), eventTime: ISO8601DateFormatter().date(from: fresh), status: .present))
        }
    }

    @Test func unknownGroupsAndFeaturesAreRefusedByName() async throws {
        try await FeatureStoreFixture.with { fixture in
            for features in [["nope:age"], ["customer_stats:height"], ["age"], []] {
                await #expect(throws: PlatformError.self) { try await fixture.read(["c1"], features) }
            }
        }
    }

    /// Runs `body` with a second control-plane process over the same databases (its own services and caches) while
    /// its listeners run, once they are up; shuts them down afterwards.
    private func withReplica(_ fixture: FeatureStoreFixture, _ body: (PlatformServices) async throws -> Void) async throws {
        let replica = PlatformServices(router: fixture.environment.router, blobs: fixture.blobs, logger: Logger(label: "replica"))
        let services = ServiceGroup(services: replica.backgroundServices, gracefulShutdownSignals: [], logger: Logger(label: "replica"))
        let running = Task { try await services.run() }
        defer { running.cancel() }
        try await Task.sleep(for: .milliseconds(300))  // the replica's listeners are up
        try await body(replica)
        await services.triggerGracefulShutdown()
    }

    @Test func anotherProcessesPushReachesThisProcessesCacheThroughNotify() async throws {
        try await FeatureStoreFixture.with { fixture in
            let group = try await fixture.groupID()
            try await withReplica(fixture) { replica in
                _ = try await fixture.platform.featureStore.push([FeatureStoreFixture.row("c1", "2026-03-01T00:00:00Z", ["age": .number("40")])], to: group, idempotencyKey: nil, context: fixture.owner)
                #expect(try await fixture.read(["c1"], ["customer_stats:age"], through: replica)[0].values["customer_stats:age"]?.value == .int(40))
                #expect(replica.featureStore.cache.count == 1)
                _ = try await fixture.platform.featureStore.push([FeatureStoreFixture.row("c1", "2026-03-02T00:00:00Z", ["age": .number("41")])], to: group, idempotencyKey: nil, context: fixture.owner)
                var seen: TabularValue?
                for _ in 0..<50 {
                    seen = try await fixture.read(["c1"], ["customer_stats:age"], through: replica)[0].values["customer_stats:age"]?.value
                    if seen == .int(41) { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(seen == .int(41), "the replica still answers from its cache after another process's push")
            }
        }
    }

    @Test func aListenerThatReconnectsDropsTheCacheBecauseNotificationsMayHaveBeenMissed() async throws {
        try await FeatureStoreFixture.with { fixture in
            let group = try await fixture.groupID()
            try await withReplica(fixture) { replica in
                _ = try await fixture.platform.featureStore.push([FeatureStoreFixture.row("c1", "2026-03-01T00:00:00Z", ["age": .number("40")])], to: group, idempotencyKey: nil, context: fixture.owner)
                _ = try await fixture.read(["c1"], ["customer_stats:age"], through: replica)
                #expect(replica.featureStore.cache.count == 1)
                // The listeners' connections die; after they reconnect, what the replica cached before is gone.
                for region in TenancyTestEnvironment.regions.map(\.id) {
                    try await fixture.environment.asSuperuser(region: region) { connection in
                        try await connection.execute(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%falaj_features%'"
                        )
                    }
                }
                var count = 1
                for _ in 0..<100 where count > 0 {
                    try await Task.sleep(for: .milliseconds(50))
                    count = replica.featureStore.cache.count
                }
                #expect(count == 0, "the replica kept entries filled before its listener's gap")
            }
        }
    }

    @Test func anotherProcessesSchemaAndAccessChangesReachThisProcessesDefinitionsThroughNotify() async throws {
        try await FeatureStoreFixture.with { fixture in
            try await withReplica(fixture) { replica in
                // The replica caches the project's definitions on its first read.
                #expect(try await fixture.read(["c1"], ["customer_stats:*"], through: replica)[0].values.count == 4)
                _ = try await fixture.platform.featureGroups.addVersion(
                    FeatureStoreFixture.features + [FeatureDefinition(name: "score", type: .float)], to: "customer_stats", project: "churn", context: fixture.owner
                )
                func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
                    for _ in 0..<50 {
                        if try await condition() { return true }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    return false
                }
                #expect(try await eventually { try await fixture.read(["c1"], ["customer_stats:*"], through: replica)[0].values.count == 5 }, "the new version reaches the replica")
                // Restricting the project elsewhere hides it from a member outside the list at once.
                let member = try await fixture.member("outside@features.example")
                #expect(try await replica.featureStore.readOnline(.init(project: "churn", entityRows: [["customer_id": .string("c1")]], features: ["customer_stats:age"]), context: member).results.count == 1)
                _ = try await fixture.platform.projects.setAccess("churn", restricted: true, members: [], context: fixture.owner)
                let hidden = try await eventually {
                    do {
                        _ = try await replica.featureStore.readOnline(.init(project: "churn", entityRows: [["customer_id": .string("c1")]], features: ["customer_stats:age"]), context: member)
                        return false
                    } catch PlatformError.notFound(_) {
                        return true
                    }
                }
                #expect(hidden, "the replica still shows a restricted project to a member outside its list")
            }
        }
    }
}
