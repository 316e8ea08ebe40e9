public import Foundation

/// `POST /agent/v1/heartbeat`: the agent's periodic report.
public struct HeartbeatRequest: Codable, Sendable {
    /// Resources not used by running jobs.
    public var free: ResourceAmounts
    /// The GPU indices not given to a job.
    public var freeGPUIndices: [Int]
    /// Every job attempt the node is running (or still reporting the result of).
    public var running: [RunningJobReport]
    /// Health of model replicas the node hosts.
    public var replicas: [ReplicaHealth]
    /// Current utilisation, for the nodes page.
    public var utilization: NodeUtilization

    /// Creates a heartbeat.
    public init(free: ResourceAmounts, freeGPUIndices: [Int], running: [RunningJobReport], replicas: [ReplicaHealth] = [], utilization: NodeUtilization) {
        self.free = free
        self.freeGPUIndices = freeGPUIndices
        self.running = running
        self.replicas = replicas
        self.utilization = utilization
    }
}

/// A job attempt running on the node.
public struct RunningJobReport: Codable, Sendable, Equatable {
    /// The job.
    public var jobID: UUID
    /// The attempt the node runs.
    public var attempt: Int
    /// The node's rank in a gang (0 for single-node jobs).
    public var nodeRank: Int

    /// Creates a report.
    public init(jobID: UUID, attempt: Int, nodeRank: Int = 0) {
        self.jobID = jobID
        self.attempt = attempt
        self.nodeRank = nodeRank
    }
}

/// Health of one model replica the node hosts.
public struct ReplicaHealth: Codable, Sendable, Equatable {
    /// The `serve.replica` job.
    public var jobID: UUID
    /// The port the replica listens on.
    public var port: Int
    /// Whether its last health check passed.
    public var isHealthy: Bool
    /// Why not, when unhealthy.
    public var message: String?

    /// Creates a health report.
    public init(jobID: UUID, port: Int, isHealthy: Bool, message: String? = nil) {
        self.jobID = jobID
        self.port = port
        self.isHealthy = isHealthy
        self.message = message
    }
}

/// How busy the node is.
public struct NodeUtilization: Codable, Sendable, Equatable {
    /// CPU busy over the last interval, 0–100 (of all cores).
    public var cpuPercent: Double
    /// Memory in use on the host, in bytes.
    public var memoryUsedBytes: Int64
    /// Mean GPU utilisation, 0–100; nil without GPUs.
    public var gpuPercent: Double?

    /// Creates a utilisation report.
    public init(cpuPercent: Double, memoryUsedBytes: Int64, gpuPercent: Double? = nil) {
        self.cpuPercent = cpuPercent
        self.memoryUsedBytes = memoryUsedBytes
        self.gpuPercent = gpuPercent
    }
}

/// The server's answer to a heartbeat.
public struct HeartbeatResponse: Codable, Sendable {
    /// How often to heartbeat from now on, in seconds.
    public var heartbeatIntervalSeconds: Int
    /// What the agent must do.
    public var commands: [AgentCommand]
    /// A renewed credential; the agent stores it and uses it from the next request on.
    public var credential: AgentCredential?

    /// Creates a response.
    public init(heartbeatIntervalSeconds: Int, commands: [AgentCommand] = [], credential: AgentCredential? = nil) {
        self.heartbeatIntervalSeconds = heartbeatIntervalSeconds
        self.commands = commands
        self.credential = credential
    }
}

/// An instruction from the server, carried by a heartbeat response.
public struct AgentCommand: Codable, Sendable, Equatable {
    /// The kinds of command.
    public enum Kind: String, Codable, Sendable {
        /// Stop the job attempt and kill its process tree (cancelled by a user, or the lease is no longer this node's).
        case cancelJob = "cancel_job"
        /// Finish running jobs but lease no more.
        case drain
        /// Stop hosting the replica of `jobID`.
        case shutdownReplica = "shutdown_replica"
    }

    /// What to do.
    public var kind: Kind
    /// The job concerned, for job and replica commands.
    public var jobID: UUID?
    /// The attempt concerned, for ``Kind/cancelJob``.
    public var attempt: Int?
    /// Why, for the node's log.
    public var reason: String?

    /// Creates a command.
    public init(kind: Kind, jobID: UUID? = nil, attempt: Int? = nil, reason: String? = nil) {
        self.kind = kind
        self.jobID = jobID
        self.attempt = attempt
        self.reason = reason
    }
}
