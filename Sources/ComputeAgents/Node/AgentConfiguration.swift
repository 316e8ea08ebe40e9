/// Settings of an ``AgentRuntime``; defaults as documented on each property.
public struct AgentConfiguration: Sendable {
    /// The control plane, `https://…` (or `http://` to loopback).
    public var serverURL: String
    /// The join token used when no identity is stored yet; nil when one is expected.
    public var joinToken: String?
    /// Where `agent.json`, `work/` and `pending/` live.
    public var dataDirectory: String
    /// Labels reported in the inventory. Default none.
    public var labels: [String: String]
    /// A PEM bundle to verify the server with instead of the system CAs. Default nil.
    public var caFile: String?
    /// The address gang members reach this node at. Default nil (the server uses the address it sees).
    public var advertiseAddress: String?
    /// Inventory overrides (`--cpus`, `--memory`). Default none.
    public var overrides: NodeInventory.Overrides
    /// The most jobs run at once. Default 4.
    public var maxJobs: Int
    /// The user commands run as when the agent runs as root. Default `nobody`; nil runs them as root (not advised).
    public var runAsUser: String?
    /// The cgroup v2 parent for job cgroups. Default `/sys/fs/cgroup/falaj`.
    public var cgroupParent: String
    /// How long a job's processes get between SIGTERM and SIGKILL on cancel, timeout or shutdown. Default 5 s.
    public var terminationGrace: Duration
    /// How long a lease long-poll may be held. Default ``AgentProtocol/maximumLeaseWaitSeconds`` (25 s).
    public var leaseWaitSeconds: Int
    /// How long a graceful shutdown waits for running jobs to report before giving up. Default 20 s.
    public var shutdownReportTimeout: Duration
    /// Job kinds implemented inside the agent. Default ``BuiltinJobRegistry/standard``.
    public var builtins: BuiltinJobRegistry

    /// Creates a configuration.
    /// - Parameters:
    ///   - serverURL: the control plane's URL.
    ///   - joinToken: needed only for the first start.
    ///   - dataDirectory: the agent's state directory.
    public init(serverURL: String, joinToken: String? = nil, dataDirectory: String) {
        self.serverURL = serverURL
        self.joinToken = joinToken
        self.dataDirectory = dataDirectory
        labels = [:]
        caFile = nil
        advertiseAddress = nil
        overrides = NodeInventory.Overrides()
        maxJobs = 4
        runAsUser = "nobody"
        cgroupParent = "/sys/fs/cgroup/falaj"
        terminationGrace = .seconds(5)
        leaseWaitSeconds = 25
        shutdownReportTimeout = .seconds(20)
        builtins = .standard
    }
}
