import Foundation
import Logging
import PostgresClient
@testable import Platform
import Residency
import Tabular
import Tenancy
import TestSupport

/// A tenancy test environment with platform services over it (file blob stores in a temporary folder), a signed-up
/// tenant with project `churn`, entity `customer` (key `customer_id`) and feature group `customer_stats`.
struct FeatureStoreFixture {
    let environment: TenancyTestEnvironment
    let platform: PlatformServices
    let owner: RequestContext
    let keys: TenantKeys
    let blobs: TenantBlobs
    static let password = "correct-horse-battery-staple-42"

    /// The features of `customer_stats` version 1.
    static let features = [
        FeatureDefinition(name: "age", type: .int, pii: .personal), FeatureDefinition(name: "spend", type: .float),
        FeatureDefinition(name: "plan", type: .category), FeatureDefinition(name: "active", type: .bool),
    ]

    static func with<Result>(ttlSeconds: Int64? = nil, _ body: (FeatureStoreFixture) async throws -> Result) async throws -> Result {
        try await TenancyTestEnvironment.with { environment in
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("falaj-features-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: root) }
            let keys = TenantKeys(router: environment.router, keyrings: TenancyTestEnvironment.regions.map { RegionKeyring(region: $0.id, current: .generate()) })
            var stores: [String: any BlobStore] = [:]
            for region in TenancyTestEnvironment.regions { stores[region.id] = FileBlobStore(root: root.appendingPathComponent(region.id)) }
            let blobs = TenantBlobs(keys: keys, stores: stores)
            var logger = Logger(label: "falaj.features.test")
            logger.logLevel = .warning
            let platform = PlatformServices(router: environment.router, blobs: blobs, logger: logger)
            let result = try await environment.services.signUp.signUp(
                SignUpForm(organisation: "Feature Folk", region: "eu-west-1", email: "owner@features.example", password: password, plan: "team")
            )
            let owner = try await environment.services.authenticator.session(result.session, requestID: "test", clientAddress: "127.0.0.1")!.context
            _ = try await platform.projects.create(ProjectForm(name: "Churn", slug: "churn"), context: owner)
            _ = try await platform.entities.create(EntityForm(name: "customer", joinKey: "customer_id"), project: "churn", context: owner)
            _ = try await platform.featureGroups.create(
                FeatureGroupForm(name: "customer_stats", entity: "customer", features: features, owner: "growth team", tags: ["crm"], ttlSeconds: ttlSeconds),
                project: "churn", context: owner
            )
            return try await body(FeatureStoreFixture(environment: environment, platform: platform, owner: owner, keys: keys, blobs: blobs))
        }
    }

    /// The group's id.
    func groupID() async throws -> UUID {
        try await platform.featureGroups.get("customer_stats", project: "churn", context: owner).group.id
    }

    /// A push row: customer `key` at `time` with the given features.
    static func row(_ key: String, _ time: String, _ features: [String: JSONScalar]) -> [String: JSONScalar] {
        features.merging(["customer_id": .string(key), "event_time": .string(time)]) { $1 }
    }

    /// Reads `features` of `keys` online.
    func read(_ keys: [String], _ features: [String] = ["customer_stats:*"], through platform: PlatformServices? = nil) async throws -> [FeatureStore.OnlineResult] {
        try await (platform ?? self.platform).featureStore.readOnline(
            FeatureStore.OnlineRequest(project: "churn", entityRows: keys.map { ["customer_id": .string($0)] }, features: features), context: owner
        ).results
    }

    /// A member with the data scientist role (data.read and data.write).
    func member(_ email: String) async throws -> RequestContext {
        let invitation = try await environment.services.members.invite(owner, email: email, roleKey: "data_scientist", baseURL: "http://test")
        _ = try await environment.services.members.accept(invitation.token, displayName: "Member", password: Self.password)
        let login = try await environment.services.authenticator.login(email: email, password: Self.password, clientAddress: "127.0.0.1", userAgent: "test")
        return try await environment.services.authenticator.session(login.token, requestID: "test", clientAddress: "127.0.0.1")!.context
    }

    /// Rows in a table of the tenant's cell, as the superuser sees them.
    func count(_ table: String) async throws -> Int {
        try await environment.asSuperuser(region: "eu-west-1") { connection in
            try await connection.query("SELECT count(*)::bigint AS n FROM \(identifier: table)")[0]["n", as: Int.self]
        }
    }
}

extension FeatureStoreFixture {
    /// Uploads `csv` as the next version of dataset `name` in `churn` (creating the dataset when needed).
    @discardableResult
    func upload(_ csv: String, to name: String, types: String = "") async throws -> DatasetVersionDetail {
        do {
            _ = try await platform.datasets.create(DatasetForm(name: name), project: "churn", context: owner)
        } catch PlatformError.conflict(_) {}
        let bytes = Array(csv.utf8)
        let body = AsyncThrowingStream<[UInt8], any Error> { continuation in
            continuation.yield(bytes)
            continuation.finish()
        }
        let overrides = types.isEmpty ? nil : try SchemaOverrides(parsing: types)
        return try await platform.datasets.upload(
            body, to: name, project: "churn", settings: IngestionSettings(format: .csv, overrides: overrides), sourceName: "\(name).csv", context: owner
        )
    }

    /// A dataset version's stored rows as text.
    func download(_ name: String, version: Int) async throws -> String {
        let collected = Collected()
        _ = try await platform.datasets.download(version, of: name, project: "churn", context: owner) { bytes in await collected.append(bytes) }
        return String(decoding: await collected.bytes, as: UTF8.self)
    }
}

/// Bytes gathered from a sink.
actor Collected {
    private(set) var bytes: [UInt8] = []
    func append(_ more: [UInt8]) { bytes += more }
}
