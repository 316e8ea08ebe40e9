/// Timings and limits of the agent registry and the job queue, read once at start-up.
public struct ComputeAgentsConfiguration: Sendable {
    /// How often agents heartbeat, in seconds (told to every agent).
    public var heartbeatIntervalSeconds = 10
    /// An agent that has not been seen for this long is marked lost and its leases are released.
    public var lostAfterSeconds = 45
    /// How long a job lease lasts without renewal; heartbeats and job reports renew it.
    public var leaseSeconds = 45
    /// How long an agent credential lives; heartbeats renew it once half of it has passed.
    public var credentialLifetimeSeconds = 3600
    /// How long a gang reservation waits for every member to pick its assignment up before it is released.
    public var gangTimeoutSeconds = 60
    /// The longest a lease long-poll is held (capped by ``AgentProtocol/maximumLeaseWaitSeconds``).
    public var maximumLeaseWaitSeconds = 25
    /// How often the reaper looks for lost agents, expired leases and stale gangs, in seconds.
    public var reaperIntervalSeconds = 5
    /// The URL agents and people reach the control plane at (`--public-url`), shown in join commands; nil when not
    /// configured: pages then use the address the request came in on, and agents give jobs the URL they use
    /// themselves as `FALAJ_API`.
    public var publicURL: String?

    /// Creates a configuration with the defaults above.
    public init(publicURL: String? = nil) { self.publicURL = publicURL }
}

/// The most a tenant's plan allows, checked when a job is submitted (Billing maps plans to these numbers).
public struct JobQuota: Sendable, Equatable {
    /// Jobs of the tenant that may be queued, leased or running at once.
    public var maximumActiveJobs: Int
    /// Whether jobs may ask for GPUs.
    public var isGPUAllowed: Bool
    /// The most nodes one job may ask for.
    public var maximumNodes: Int

    /// Creates a quota.
    public init(maximumActiveJobs: Int, isGPUAllowed: Bool, maximumNodes: Int) {
        self.maximumActiveJobs = maximumActiveJobs
        self.isGPUAllowed = isGPUAllowed
        self.maximumNodes = maximumNodes
    }
}
