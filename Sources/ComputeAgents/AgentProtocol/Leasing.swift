public import Foundation

/// `POST /agent/v1/lease`: the agent asks for work that fits its free resources, waiting up to `waitSeconds`.
public struct LeaseRequest: Codable, Sendable {
    /// Resources not used by running jobs.
    public var free: ResourceAmounts
    /// The GPU indices not given to a job.
    public var freeGPUIndices: [Int]
    /// The most jobs to receive in one answer.
    public var maxJobs: Int
    /// How long the server may hold the request when no work fits (capped at ``AgentProtocol/maximumLeaseWaitSeconds``).
    public var waitSeconds: Int

    /// Creates a lease request.
    public init(free: ResourceAmounts, freeGPUIndices: [Int], maxJobs: Int = 1, waitSeconds: Int = AgentProtocol.maximumLeaseWaitSeconds) {
        self.free = free
        self.freeGPUIndices = freeGPUIndices
        self.maxJobs = maxJobs
        self.waitSeconds = waitSeconds
    }
}

/// The work handed to an agent (possibly none when the wait ran out).
public struct LeaseResponse: Codable, Sendable {
    /// Leased job attempts; together they fit the free resources the agent reported.
    public var jobs: [LeasedJob]

    /// Creates a response.
    public init(jobs: [LeasedJob]) { self.jobs = jobs }
}

/// One job attempt leased to an agent.
public struct LeasedJob: Codable, Sendable, Equatable {
    /// The job.
    public var jobID: UUID
    /// The tenant that owns it.
    public var tenantID: UUID
    /// 1 for the first attempt, 2 after a re-queue, …
    public var attempt: Int
    /// What to run: `train.command`, `train.builtin`, `serve.replica`, `drift.check`, …
    public var kind: String
    /// The job's spec as JSON text; its shape depends on ``kind`` (``CommandJobSpec`` for `train.command`).
    public var specJSON: String
    /// The resources the job asked for and may use.
    public var resources: ResourceRequest
    /// The GPU indices this attempt may use (`CUDA_VISIBLE_DEVICES`); empty for CPU jobs.
    public var gpuIndices: [Int]
    /// The job-scoped bearer token for the job's log, event, artifact, result and gang endpoints.
    public var token: String
    /// When the lease ends unless heartbeats renew it.
    public var leaseExpiresAt: Date
    /// Wall-clock limit for the attempt, in seconds.
    public var timeoutSeconds: Int
    /// Rendezvous details for a multi-node job; nil for single-node jobs.
    public var gang: GangAssignment?
    /// Variables the server adds to the job's environment (`FALAJ_JOB_ID`, `FALAJ_API`, …).
    public var environment: [String: String]

    /// Creates a leased job.
    public init(
        jobID: UUID, tenantID: UUID, attempt: Int, kind: String, specJSON: String, resources: ResourceRequest, gpuIndices: [Int],
        token: String, leaseExpiresAt: Date, timeoutSeconds: Int, gang: GangAssignment? = nil, environment: [String: String] = [:]
    ) {
        self.jobID = jobID
        self.tenantID = tenantID
        self.attempt = attempt
        self.kind = kind
        self.specJSON = specJSON
        self.resources = resources
        self.gpuIndices = gpuIndices
        self.token = token
        self.leaseExpiresAt = leaseExpiresAt
        self.timeoutSeconds = timeoutSeconds
        self.gang = gang
        self.environment = environment
    }
}

/// What a job asks for.
public struct ResourceRequest: Codable, Sendable, Equatable {
    /// CPU in thousandths of a core.
    public var cpuMillis: Int
    /// Memory in bytes.
    public var memoryBytes: Int64
    /// Whole GPUs per node.
    public var gpus: Int
    /// A GPU model the job needs (matched against the GPU name, case-insensitively, as a substring); nil for any.
    public var gpuType: String?
    /// Nodes of a gang; 1 for a single-node job.
    public var nodes: Int

    /// Creates a request.
    public init(cpuMillis: Int = 1000, memoryBytes: Int64 = 512 << 20, gpus: Int = 0, gpuType: String? = nil, nodes: Int = 1) {
        self.cpuMillis = cpuMillis
        self.memoryBytes = memoryBytes
        self.gpus = gpus
        self.gpuType = gpuType
        self.nodes = nodes
    }

    /// The per-node amounts.
    public var amounts: ResourceAmounts { ResourceAmounts(cpuMillis: cpuMillis, memoryBytes: memoryBytes, gpus: gpus) }
}

/// A gang member's rendezvous variables for `torchrun`.
public struct GangAssignment: Codable, Sendable, Equatable {
    /// This member's `NODE_RANK`.
    public var nodeRank: Int
    /// `WORLD_SIZE` in nodes.
    public var worldSize: Int
    /// `MASTER_ADDR`: the address of rank 0.
    public var masterAddress: String
    /// `MASTER_PORT`: the rendezvous port on rank 0.
    public var masterPort: Int

    /// Creates an assignment.
    public init(nodeRank: Int, worldSize: Int, masterAddress: String, masterPort: Int) {
        self.nodeRank = nodeRank
        self.worldSize = worldSize
        self.masterAddress = masterAddress
        self.masterPort = masterPort
    }

    /// The variables a member's process gets.
    public var environment: [String: String] {
        ["WORLD_SIZE": String(worldSize), "NODE_RANK": String(nodeRank), "MASTER_ADDR": masterAddress, "MASTER_PORT": String(masterPort)]
    }
}

/// The answer of the gang barrier.
public struct GangStatus: Codable, Sendable, Equatable {
    /// The barrier states.
    public enum State: String, Codable, Sendable {
        /// Every member is reserved: start now.
        case start
        /// Not every member has picked its assignment up yet: ask again.
        case wait
        /// The gang was released (timeout or a member failed): do not start; the job is queued again.
        case abort
    }

    /// Where the gang stands.
    public var state: State
    /// Why, for ``State/abort``.
    public var reason: String?

    /// Creates a status.
    public init(state: State, reason: String? = nil) {
        self.state = state
        self.reason = reason
    }
}

/// The spec of a `train.command` job: a command run in a fresh working directory.
public struct CommandJobSpec: Codable, Sendable, Equatable {
    /// Working files unpacked into the work folder before the command starts: a gzipped tar archive fetched with the
    /// job's token from `GET /agent/v1/jobs/:job/files`.
    public struct Files: Codable, Sendable, Equatable {
        /// The archive's id (a code bundle).
        public var id: UUID
        /// Its SHA-256 (hex); the agent refuses an archive that does not match.
        public var sha256: String
        /// Its size in bytes.
        public var sizeBytes: Int64

        /// Creates a reference.
        public init(id: UUID, sha256: String, sizeBytes: Int64) {
            self.id = id
            self.sha256 = sha256
            self.sizeBytes = sizeBytes
        }
    }

    /// The program and its arguments (no shell unless the first element is one).
    public var command: [String]
    /// Variables added to the clean environment.
    public var environment: [String: String]
    /// Working files, if any.
    public var files: Files?

    /// Creates a spec.
    public init(command: [String], environment: [String: String] = [:], files: Files? = nil) {
        self.command = command
        self.environment = environment
        self.files = files
    }

    /// Decodes a spec; `environment` and `files` may be left out.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        command = try container.decode([String].self, forKey: .command)
        environment = try container.decodeIfPresent([String: String].self, forKey: .environment) ?? [:]
        files = try container.decodeIfPresent(Files.self, forKey: .files)
    }
}
