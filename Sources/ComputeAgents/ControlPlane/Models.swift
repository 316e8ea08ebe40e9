public import AgentProtocol
public import Foundation
public import Residency

/// A join token as lists show it (never the token itself).
public struct JoinTokenSummary: Sendable, Equatable {
    public var id: UUID
    /// The first characters of the token, to tell tokens apart.
    public var displayPrefix: String
    public var description: String
    public var region: String
    /// The tenant agents enrolled with it are dedicated to.
    public var dedicatedTenantID: TenantID?
    public var labels: [String: String]
    public var maxUses: Int
    public var uses: Int
    public var expiresAt: Date
    public var createdBy: String
    public var createdAt: Date
    public var revokedAt: Date?

    /// Whether it can still enrol an agent now.
    public var isUsable: Bool { revokedAt == nil && uses < maxUses && expiresAt > Date() }
}

/// What to create a join token with.
public struct JoinTokenRequest: Sendable {
    public var region: String
    /// Dedicate enrolled agents to this tenant; tenant admins always get their own tenant here.
    public var dedicatedTenantID: TenantID?
    public var labels: [String: String]
    public var description: String
    public var maxUses: Int
    /// Seconds until it expires (60 s … 30 days).
    public var lifetimeSeconds: Int

    /// Creates a request.
    public init(region: String, dedicatedTenantID: TenantID? = nil, labels: [String: String] = [:], description: String = "", maxUses: Int = 1, lifetimeSeconds: Int = 86_400) {
        self.region = region
        self.dedicatedTenantID = dedicatedTenantID
        self.labels = labels
        self.description = description
        self.maxUses = maxUses
        self.lifetimeSeconds = lifetimeSeconds
    }
}

/// The agent behind a valid credential, as the agent API sees it.
public struct AgentIdentity: Sendable, Equatable {
    public var id: UUID
    public var region: String
    public var dedicatedTenantID: TenantID?
    public var status: AgentStatus
    public var labels: [String: String]
    public var gpus: [GPUDevice]
    /// The rendezvous address (MASTER_ADDR when it is rank 0).
    public var address: String
    /// Whether the agent authenticated with its previous credential (the answer carrying its renewal was lost), so
    /// the next heartbeat issues a new current credential and keeps the previous one.
    var isUsingPreviousCredential = false
}

/// An agent's registry status; "busy" is derived (``AgentSummary/isBusy``).
public enum AgentStatus: String, Sendable, Codable {
    case ready, draining, lost, revoked
}

/// An agent as the nodes page shows it.
public struct AgentSummary: Sendable, Equatable {
    public var id: UUID
    public var region: String
    public var dedicatedTenantID: TenantID?
    public var status: AgentStatus
    public var inventory: AgentInventory
    public var address: String
    /// Last reported free resources.
    public var free: ResourceAmounts
    public var utilization: NodeUtilization
    public var runningJobs: Int
    public var registeredAt: Date
    public var lastSeenAt: Date

    /// Ready and running at least one job.
    public var isBusy: Bool { status == .ready && runningJobs > 0 }
    /// The status word the nodes page shows: ready, busy, draining, lost or revoked.
    public var displayStatus: String { isBusy ? "busy" : status.rawValue }
}

/// The states of a job.
public enum JobState: String, Sendable, Codable, CaseIterable {
    case queued, leased, running, succeeded, failed, cancelled

    /// Whether the job has ended for good.
    public var isFinal: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

/// What a tenant submits.
public struct JobSubmission: Sendable {
    /// `train.command`, `train.builtin`, `serve.replica`, `drift.check`, … (lower-case dotted words).
    public var kind: String
    public var name: String
    /// The spec as a JSON object text; for `train.command` it must decode as ``CommandJobSpec``.
    public var specJSON: String
    public var resources: ResourceRequest
    /// Labels an agent must carry.
    public var nodeSelector: [String: String]
    /// -100 … 100; higher runs first within the fair-share order.
    public var priority: Int
    public var maxAttempts: Int
    public var timeoutSeconds: Int
    /// Run only in this region (it must be allowed by the residency policy); nil = any allowed region.
    public var region: String?

    /// Creates a submission.
    public init(
        kind: String, name: String = "", specJSON: String = "{}", resources: ResourceRequest = ResourceRequest(), nodeSelector: [String: String] = [:],
        priority: Int = 0, maxAttempts: Int = 3, timeoutSeconds: Int = 3600, region: String? = nil
    ) {
        self.kind = kind
        self.name = name
        self.specJSON = specJSON
        self.resources = resources
        self.nodeSelector = nodeSelector
        self.priority = priority
        self.maxAttempts = maxAttempts
        self.timeoutSeconds = timeoutSeconds
        self.region = region
    }
}

/// A job as lists show it.
public struct JobSummary: Sendable, Equatable {
    public var id: UUID
    public var tenantID: TenantID
    public var kind: String
    public var name: String
    public var state: JobState
    public var resources: ResourceRequest
    public var priority: Int
    public var attempt: Int
    public var maxAttempts: Int
    public var allowedRegions: [String]
    /// Why it waits, or how the last attempt ended.
    public var placementNote: String
    public var message: String
    public var exitCode: Int?
    public var submittedBy: String
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var isCancelRequested: Bool
}

/// A job with its attempts, events and artifacts (the job page).
public struct JobDetail: Sendable, Equatable {
    public var summary: JobSummary
    public var specJSON: String
    public var nodeSelector: [String: String]
    public var timeoutSeconds: Int
    public var attempts: [JobAttemptSummary]
    /// Metric, progress and status events, oldest first (the newest 1,000).
    public var events: [JobEventRecord]
    public var artifacts: [JobArtifact]
}

/// One attempt on one node.
public struct JobAttemptSummary: Sendable, Equatable {
    public var attempt: Int
    public var nodeRank: Int
    public var agentID: UUID
    public var agentRegion: String
    public var state: String
    public var exitCode: Int?
    public var message: String
    public var cpuSeconds: Double?
    public var peakMemoryBytes: Int64?
    public var wallSeconds: Double?
    public var assignedAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
}

/// A stored event.
public struct JobEventRecord: Sendable, Equatable {
    public var id: Int64
    public var attempt: Int
    public var nodeRank: Int
    public var report: JobEventReport
}

/// A stored artifact.
public struct JobArtifact: Sendable, Equatable {
    public var attempt: Int
    public var path: String
    public var sizeBytes: Int64
    public var sha256: String
    public var createdAt: Date
}

/// A stored log chunk.
public struct JobLogChunk: Sendable, Equatable {
    public var attempt: Int
    public var nodeRank: Int
    public var seq: Int
    public var data: [UInt8]
}

/// What a job-scoped token grants: one attempt (and gang rank) of one job of one tenant, while its lease lasts.
public struct JobTokenScope: Sendable, Equatable {
    public var tenantID: TenantID
    public var jobID: UUID
    public var attempt: Int
    public var nodeRank: Int
}
