public import Logging
public import Residency
public import ServiceLifecycle

/// The control-plane side of compute agents, built once per process by `falaj serve` and handed to the portal.
public final class ComputeAgentsServices: Sendable {
    /// Join tokens (operators and tenant admins).
    public let joinTokens: JoinTokens
    /// Enrolled agents: registration, credentials, heartbeats, drain and revoke.
    public let registry: AgentRegistry
    /// The tenant-facing job queue: submit, list, inspect, cancel.
    public let jobs: JobQueue
    /// The agent-facing side of the queue: leases, job-scoped tokens, logs, events, artifacts, results, gangs.
    public let dispatcher: Dispatcher
    /// Timings and limits.
    public let configuration: ComputeAgentsConfiguration

    /// Wires the services to the cells and the directory.
    /// - Parameters:
    ///   - router: tenant → cell; `router.directory` holds join tokens and agents.
    ///   - blobs: the tenants' encrypted blob stores (artifacts).
    ///   - configuration: timings and limits.
    ///   - logger: where background work logs.
    public init(router: CellRouter, blobs: TenantBlobs, configuration: ComputeAgentsConfiguration, logger: Logger) {
        let context = ComputeAgentsContext(router: router, blobs: blobs, configuration: configuration, logger: logger)
        self.context = context
        self.configuration = configuration
        joinTokens = JoinTokens(context: context)
        registry = AgentRegistry(context: context)
        jobs = JobQueue(context: context)
        dispatcher = Dispatcher(context: context)
    }

    let context: ComputeAgentsContext

    /// The background services `falaj serve` runs: the dispatch wake-up listeners (LISTEN/NOTIFY per cell) and the
    /// reaper (lost agents, expired leases, stale gangs). Each ends on graceful shutdown.
    public var backgroundServices: [any Service] {
        [dispatcher.wakeUpService, AgentReaper(context: context, dispatcher: dispatcher)]
    }
}


/// What every compute-agents service shares.
struct ComputeAgentsContext: Sendable {
    /// Tenant → cell; `router.directory` holds join tokens and agents.
    let router: CellRouter
    /// Tenants' encrypted blob stores (artifacts).
    let blobs: TenantBlobs
    /// Timings and limits.
    let configuration: ComputeAgentsConfiguration
    /// Background work logs here.
    let logger: Logger
    /// The dispatcher's in-process state (the lease wake-up signal), shared by every copy of the context.
    let dispatch = DispatchShared()
}
