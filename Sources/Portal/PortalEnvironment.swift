public import ComputeAgents
public import Logging
public import Platform
public import Residency
public import Tenancy
public import WebServer

/// What the portal needs from the process that hosts it: where files are, how to check readiness,
/// what to put on `/metrics`, and what to show on the landing page. Built once by `falaj serve`.
public struct PortalEnvironment: Sendable {
    /// The folder served under `/static/` (the repository's `Public/`).
    public var publicDirectory: String
    /// Runs the readiness checks (databases reachable, migrations current). Must not block the caller's thread.
    public var readiness: @Sendable () async -> [ReadinessCheck]
    /// Adds process-level series (pools, connections) to `/metrics`.
    public var metricsCollectors: [@Sendable (inout PrometheusText) -> Void]
    /// The regions shown on the landing page.
    public var regions: @Sendable () async throws -> [RegionSummary]
    /// The portal's logger.
    public var logger: Logger
    /// Tenants, members, sessions, keys and operators.
    public var tenancy: TenancyServices
    /// Tenants' data keys for the encryption page; nil when no key-encryption keys are configured.
    public var keys: TenantKeys?
    /// Compute agents and jobs; nil in a portal without them (the agent API then answers 503).
    public var computeAgents: ComputeAgentsServices?
    /// Projects, datasets and the feature store; nil in a portal without them (their API then answers 503).
    public var platform: PlatformServices?

    /// Creates an environment.
    public init(
        publicDirectory: String,
        readiness: @escaping @Sendable () async -> [ReadinessCheck],
        metricsCollectors: [@Sendable (inout PrometheusText) -> Void],
        regions: @escaping @Sendable () async throws -> [RegionSummary],
        tenancy: TenancyServices,
        keys: TenantKeys? = nil,
        computeAgents: ComputeAgentsServices? = nil,
        platform: PlatformServices? = nil,
        logger: Logger
    ) {
        self.tenancy = tenancy
        self.computeAgents = computeAgents
        self.platform = platform
        self.keys = keys
        self.publicDirectory = publicDirectory
        self.readiness = readiness
        self.metricsCollectors = metricsCollectors
        self.regions = regions
        self.logger = logger
    }
}

/// The outcome of one readiness check.
public struct ReadinessCheck: Sendable, Codable, Equatable {
    /// What was checked, e.g. `database:directory` or `migrations:me-central-1`.
    public var name: String
    /// Whether it passed.
    public var isReady: Bool
    /// A short, non-sensitive explanation when it failed (e.g. "2 migrations pending").
    public var detail: String?

    /// Creates a check result.
    public init(name: String, isReady: Bool, detail: String? = nil) {
        self.name = name
        self.isReady = isReady
        self.detail = detail
    }
}

/// A region as the landing page shows it.
public struct RegionSummary: Sendable, Equatable {
    /// The region id, e.g. `me-central-1`.
    public var id: String
    /// A display name, e.g. `UAE (Dubai)`.
    public var displayName: String
    /// The legal jurisdiction, e.g. `AE` or `EU`.
    public var jurisdiction: String
    /// ISO 3166 country code of the data centre, e.g. `AE`.
    public var country: String
    /// Whether the region accepts new tenants.
    public var isActive: Bool

    /// Creates a summary.
    public init(id: String, displayName: String, jurisdiction: String, country: String = "", isActive: Bool = true) {
        self.id = id
        self.displayName = displayName
        self.jurisdiction = jurisdiction
        self.country = country
        self.isActive = isActive
    }
}
