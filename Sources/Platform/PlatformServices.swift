public import ComputeAgents
public import Logging
public import Residency
public import ServiceLifecycle
import PostgresClient
import Tenancy

/// The ML lifecycle's services (DESIGN.md §6), built once per process by `falaj serve` and handed to the portal.
/// Every call takes the request context and runs in the tenant's home cell under its row-level security.
public final class PlatformServices: Sendable {
    /// Projects: the containers of everything ML-related in a tenant.
    public let projects: Projects
    /// Datasets and their immutable versions: uploads (CSV, JSON lines), schemas, statistics, downloads.
    public let datasets: Datasets
    /// Entities (what features describe).
    public let entities: Entities
    /// Feature groups: definitions, versions, the catalog.
    public let featureGroups: FeatureGroups
    /// Pushes, dataset ingestion, materialisation, online reads, statistics and training sets.
    public let featureStore: FeatureStore
    /// Saved feature lists.
    public let featureServices: FeatureServices
    /// Training runs and experiments (built-in trainers and custom commands, as jobs).
    public let runs: Runs
    /// Registered models, their immutable versions, aliases and gated promotions.
    public let models: ModelRegistry
    /// Deployments: prediction endpoints served by replicas on agents.
    public let deployments: Deployments
    /// Every answered prediction, written in batches (for per-variant statistics, feedback and A/B results).
    public let predictionLog: PredictionLog
    private let context: PlatformContext

    /// Wires the services to the cells and the tenants' blob stores.
    /// - Parameters:
    ///   - router: tenant → home cell.
    ///   - blobs: the tenants' encrypted blob stores (dataset files live there, in the home region).
    ///   - logger: where background work and failures log.
    public init(router: CellRouter, blobs: TenantBlobs, logger: Logger) {
        let context = PlatformContext(router: router, blobs: blobs, logger: logger)
        self.context = context
        projects = Projects(context: context)
        datasets = Datasets(context: context)
        entities = Entities(context: context)
        featureGroups = FeatureGroups(context: context)
        featureStore = FeatureStore(context: context, cache: OnlineFeatureCache())
        featureServices = FeatureServices(context: context)
        runs = Runs(context: context)
        models = ModelRegistry(context: context)
        deployments = Deployments(context: context)
        predictionLog = PredictionLog(context: context)
    }

    /// The background services `falaj serve` runs: the listeners that keep the online-feature cache correct across
    /// control-plane processes (LISTEN per cell) and the prediction log's writer. Each ends on graceful shutdown.
    /// `falaj serve` also runs ``servingController(jobs:interval:)``.
    public var backgroundServices: [any Service] {
        [FeatureCacheInvalidationService(context: context, cache: featureStore.cache), PredictionLogService(log: predictionLog)]
    }

    /// The serving controller over `jobs` (canaries, rollouts, draining replicas): a background service; its passes can
    /// also be run directly.
    public func servingController(jobs: JobQueue, interval: Duration = ServingController.defaultInterval) -> ServingController {
        ServingController(context: context, deployments: deployments, jobs: jobs, interval: interval)
    }
}

/// What every platform service shares.
struct PlatformContext: Sendable {
    /// Tenant → cell.
    let router: CellRouter
    /// Tenants' encrypted blob stores.
    let blobs: TenantBlobs
    /// Failures that are not the caller's (a blob left behind) log here.
    let logger: Logger
    /// Project and feature definitions for online reads; every service that changes them invalidates it.
    let definitions = FeatureDefinitionCache()

    /// Runs `body` in `tenant`'s transaction, tells every process at commit that its feature definitions changed,
    /// and drops this process's copy after the commit.
    nonisolated(nonsending) func changingDefinitions<Result>(
        of tenant: TenantID, _ body: nonisolated(nonsending) (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let result = try await router.withTenantTransaction(tenant) { connection in
            let result = try await body(connection)
            try await FeatureDefinitionCache.notifyChange(tenant: tenant.rawValue, on: connection)
            return result
        }
        definitions.invalidate(tenant: tenant.rawValue)
        return result
    }
}
