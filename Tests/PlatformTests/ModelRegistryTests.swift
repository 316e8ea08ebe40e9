import FalajCrypto
import Foundation
import Learning
import PostgresClient
@testable import Platform
import Residency
import Tabular
import Tenancy
import TestSupport
import Testing

/// Promotion gates on versions with known metrics (inserted directly, no training): bounds, regression against the
/// champion in the metric's direction, a missing metric, the reviewer rule (never the requester, not even through a
/// key of theirs), rejection, conflicts, permissions, immutability and the audit trail.
@Suite struct ModelRegistryTests {
    /// Inserts version `number` of `model` with `metrics` (no run, no file behind it).
    static func insertVersion(_ fixture: FeatureStoreFixture, model: UUID, number: Int, metrics: String) async throws {
        try await fixture.environment.router.withTenantTransaction(fixture.owner.tenantID) { connection in
            try await connection.execute(
                """
                INSERT INTO model_versions (tenant_id, model_id, version, blob_name, file_name, size_bytes, sha256, format, metrics, lineage, registered_by)
                VALUES (\(fixture.owner.tenantID.rawValue), \(model), \(number), 'models/none', 'model.falaj', 0, \(String(repeating: "a", count: 64)),
                        'falaj-model', \(PostgresJSON(text: metrics)), '{"datasets": [], "params": {}}', 'system')
                """
            )
        }
    }

    static func engineer(_ fixture: FeatureStoreFixture) async throws -> RequestContext {
        let services = fixture.environment.services
        let invitation = try await services.members.invite(fixture.owner, email: "engineer@features.example", roleKey: "ml_engineer", baseURL: "http://test")
        _ = try await services.members.accept(invitation.token, displayName: "Engineer", password: FeatureStoreFixture.password)
        let login = try await services.authenticator.login(
            email: "engineer@features.example", password: FeatureStoreFixture.password, clientAddress: "127.0.0.1", userAgent: "test")
        return try await services.authenticator.session(login.token, requestID: "test", clientAddress: "127.0.0.1")!.context
    }

    @Test func metricGatesBlockWithTheReasonAndCompareWithTheChampionInTheMetricsDirection() async throws {
        try await FeatureStoreFixture.with { fixture in
            let registry = fixture.platform.models
            let owner = fixture.owner
            let gates = PromotionGates(metrics: [.init(metric: "rmse", max: 1.0), .init(metric: "rmse", maxRegression: 0.05)], compliance: false)
            let model = try await registry.create(name: "spend", gates: gates, project: "churn", context: owner)
            for (number, metrics) in [(1, #"{"rmse": 0.5}"#), (2, #"{"rmse": 0.54}"#), (3, #"{"rmse": 0.6}"#), (4, #"{"mae": 0.1}"#), (5, #"{"rmse": 1.2}"#)] {
                try await Self.insertVersion(fixture, model: model.id, number: number, metrics: metrics)
            }
            func promote(_ version: Int, _ alias: String = "champion") async throws -> Promotion {
                try await registry.promote(version: version, to: alias, model: "spend", project: "churn", context: owner)
            }
            let first = try await promote(1)
            #expect(first.state == .applied && first.gateResults.allSatisfy(\.passed), "\(first.gateResults)")
            #expect(first.gateResults.contains { $0.detail.contains("no champion") })
            let second = try await promote(2)
            #expect(second.state == .applied && second.previousVersion == 1, "0.04 worse is within 0.05: \(second.gateResults)")
            let third = try await promote(3)
            #expect(third.state == .blocked && third.failures.contains("metric:rmse") && third.failures.contains("champion v2"), "\(third.failures)")
            let fourth = try await promote(4)
            #expect(fourth.state == .blocked && fourth.failures.contains("has no metric 'rmse'"))
            let fifth = try await promote(5)
            #expect(fifth.state == .blocked && fifth.failures.contains("1.2 > 1"), "\(fifth.failures)")
            #expect(try await registry.get("spend", project: "churn", context: owner).0.aliases == ["champion": 2], "blocked requests move nothing")
            await #expect(throws: PlatformError.conflict("'champion' already points at version 2")) { _ = try await promote(2) }
            await #expect(throws: PlatformError.self) { _ = try await promote(1, "Champion!") }
            await #expect(throws: PlatformError.self) { _ = try await promote(9) }
        }
    }

    @Test func aRequiredReviewerIsNeverTheRequesterAndDecisionsAreFinal() async throws {
        try await FeatureStoreFixture.with { fixture in
            let registry = fixture.platform.models
            let owner = fixture.owner
            let model = try await registry.create(name: "churn", gates: PromotionGates(requireApproval: true, compliance: false), project: "churn", context: owner)
            try await Self.insertVersion(fixture, model: model.id, number: 1, metrics: #"{"roc_auc": 0.9}"#)
            let engineer = try await Self.engineer(fixture)
            let pending = try await registry.promote(version: 1, to: "champion", reason: "ship it", model: "churn", project: "churn", context: owner)
            #expect(pending.state == .pending && pending.gateResults.last?.gate == "approval")
            await #expect(throws: PlatformError.self) {
                _ = try await registry.approve(pending.id, model: "churn", project: "churn", context: owner)
            }
            var ownersKey = owner
            ownersKey.actor = .apiKey(id: UUID(), user: try #require(owner.actor.userID))
            await #expect(throws: PlatformError.self, "a key of the requester is the requester") {
                _ = try await registry.approve(pending.id, model: "churn", project: "churn", context: ownersKey)
            }
            let approved = try await registry.approve(pending.id, reason: "checked", model: "churn", project: "churn", context: engineer)
            #expect(approved.state == .applied && approved.reason == "ship it\nReviewer: checked")
            await #expect(throws: PlatformError.conflict("The promotion is applied, not pending")) {
                _ = try await registry.reject(pending.id, model: "churn", project: "churn", context: engineer)
            }

            let other = try await registry.promote(version: 1, to: "challenger", model: "churn", project: "churn", context: owner)
            let rejected = try await registry.reject(other.id, reason: "not now", model: "churn", project: "churn", context: engineer)
            #expect(rejected.state == .rejected)
            #expect(try await registry.get("churn", project: "churn", context: owner).0.aliases == ["champion": 1])

            let scientist = try await fixture.member("scientist@features.example")
            await #expect(throws: PlatformError.self, "data scientists cannot promote") {
                _ = try await registry.promote(version: 1, to: "shadow", model: "churn", project: "churn", context: scientist)
            }
            await #expect(throws: PlatformError.self, "nor change the gates") {
                _ = try await registry.setGates(PromotionGates(), model: "churn", project: "churn", context: scientist)
            }
            await #expect(throws: PostgresError.self, "versions are immutable") {
                try await fixture.environment.router.withTenantTransaction(owner.tenantID) { connection in
                    try await connection.execute("UPDATE model_versions SET metrics = '{\"roc_auc\": 1}' WHERE model_id = \(model.id)")
                }
            }
            let actions = try await fixture.environment.router.withTenantTransaction(owner.tenantID) { connection in
                try await connection.query("SELECT action FROM audit_events WHERE action LIKE 'model.%' ORDER BY sequence").map { try $0["action", as: String.self] }
            }
            #expect(actions == [
                "model.created", "model.promotion_requested", "model.promotion_approved", "model.alias_moved", "model.promotion_requested",
                "model.promotion_rejected",
            ])
        }
    }

    @Test func aVersionFromATrainingSetRunNamesItsFeatureGroupsAndTheCatalogListsIt() async throws {
        try await FeatureStoreFixture.with { fixture in
            try await TrainingSetTests.pushHistory(fixture)
            try await fixture.upload(TrainingSetTests.entityRows, to: "labels")
            let built = try await fixture.platform.featureStore.buildTrainingSet(
                TrainingSetRequest(project: "churn", entityDataset: "labels", features: ["customer_stats:age"], output: "churn-training"), context: fixture.owner)
            let owner = fixture.owner
            let tenant = owner.tenantID
            // A succeeded custom run on the training set with a model file among its artifacts (made here, no agent).
            let (job, run, project, experiment) = (UUID(), UUID(), try await fixture.platform.projects.get("churn", context: owner).id, UUID())
            let file = Array("weights".utf8)
            try await fixture.blobs.put(tenant, name: "jobs/\(job.uuidString.lowercased())/model.bin", from: AsyncThrowingStream<[UInt8], any Error> { $0.yield(file); $0.finish() })
            let dataset = try await fixture.platform.datasets.get("churn-training", project: "churn", context: owner).0
            let inputs = #"{"dataset": {"id": "\#(dataset.id.uuidString)", "name": "churn-training", "version": 1, "sha256": "\#(built.version.sha256)"}}"#
            try await fixture.environment.router.withTenantTransaction(tenant) { connection in
                try await connection.execute(
                    """
                    INSERT INTO jobs (tenant_id, id, kind, cpu_millis, memory_bytes, fair_seq, allowed_regions, submitted_by, state)
                    VALUES (\(tenant.rawValue), \(job), 'train.command', 1000, 0, 1, ARRAY['eu-west-1'], 'system', 'succeeded')
                    """)
                try await connection.execute(
                    """
                    INSERT INTO job_artifacts (tenant_id, job_id, attempt, path, blob_name, size_bytes, sha256)
                    VALUES (\(tenant.rawValue), \(job), 1, 'model.bin', \("jobs/\(job.uuidString.lowercased())/model.bin"), \(Int64(file.count)), \(Hex.encode(SHA256.hash(file))))
                    """)
                try await connection.execute("INSERT INTO experiments (tenant_id, id, project_id, name, created_by) VALUES (\(tenant.rawValue), \(experiment), \(project), 'default', 'system')")
                try await connection.execute(
                    """
                    INSERT INTO runs (tenant_id, id, project_id, experiment_id, number, kind, job_id, inputs, created_by)
                    VALUES (\(tenant.rawValue), \(run), \(project), \(experiment), 1, 'command', \(job), \(PostgresJSON(text: inputs)), 'system')
                    """)
            }
            let version = try await fixture.platform.models.register(
                VersionRegistration(run: 1, artifact: "model.bin"), model: "churn", project: "churn", context: owner)
            let group = try await fixture.groupID()
            #expect(version.lineage.featureGroups.map(\.reference) == ["customer_stats:age"] && version.lineage.featureGroups.first?.groupID == group)
            #expect(version.lineage.datasets.first?.name == "churn-training" && version.sha256 == Hex.encode(SHA256.hash(file)))
            let lineage = try await fixture.platform.featureGroups.lineage("customer_stats", project: "churn", context: owner)
            #expect(lineage.models.map(\.model) == ["churn"] && lineage.models.first?.version == 1)
            // The copy is the registry's own: the run's artifact can go, the version still downloads.
            try await fixture.blobs.delete(tenant, name: "jobs/\(job.uuidString.lowercased())/model.bin")
            let (_, stream) = try await fixture.platform.models.download(1, of: "churn", project: "churn", context: owner)
            let collected = ByteCollector()
            try await stream { collected.append($0) }
            #expect(collected.bytes == file)
        }
    }

    @Test func uploadedVersionsAreCheckedAndTheirPromotionNeedsLineage() async throws {
        try await FeatureStoreFixture.with { fixture in
            let registry = fixture.platform.models
            let owner = fixture.owner
            let columns = [Column(name: "x", type: .float), Column(name: "y", type: .float)]
            let rows = (0..<50).map { index -> [TabularValue] in [.float(Double(index)), .float(2 * Double(index) + 1)] }
            let model = try TrainingPipeline.train(columns: columns, rows: rows, spec: TrainingSpec(target: "y", algorithm: .ridge)).model
            let bytes = try model.encoded()
            func body(_ bytes: [UInt8]) -> AsyncThrowingStream<[UInt8], any Error> { AsyncThrowingStream { $0.yield(bytes); $0.finish() } }

            let version = try await registry.upload(body(bytes), fileName: "line.falaj", model: "line", project: "churn", context: owner)
            #expect(version.format == "falaj-model" && version.version == 1 && version.runID == nil)
            #expect(version.signature == ModelSignature(inputs: [Column(name: "x", type: .float)], output: .init(type: "number")))
            #expect(version.sha256 == Hex.encode(SHA256.hash(bytes)) && version.sizeBytes == Int64(bytes.count))

            let blobsBefore = try await fixture.blobs.list(owner.tenantID, prefix: "models/").count
            await #expect(throws: PlatformError.self, "a truncated model file is refused") {
                _ = try await registry.upload(body(Array(bytes.dropLast(10))), fileName: "line.falaj", model: "line", project: "churn", context: owner)
            }
            await #expect(throws: PlatformError.self, "an empty file is refused") {
                _ = try await registry.upload(body([]), fileName: "weights.bin", model: "line", project: "churn", context: owner)
            }
            #expect(try await fixture.blobs.list(owner.tenantID, prefix: "models/").count == blobsBefore, "a refused upload leaves no blob")

            let signature = ModelSignature(inputs: [Column(name: "pixels", type: .string)], output: .init(type: "tensor"))
            let custom = try await registry.upload(
                body(Array("weights".utf8)), fileName: "weights.bin", signature: signature, model: "line", project: "churn", context: owner)
            #expect(custom.format == "custom" && custom.version == 2 && custom.signature == signature)

            let promotion = try await registry.promote(version: 1, to: "champion", model: "line", project: "churn", context: owner)
            #expect(promotion.state == .blocked && promotion.failures.contains("compliance:lineage"), "\(promotion.gateResults)")
        }
    }
}
