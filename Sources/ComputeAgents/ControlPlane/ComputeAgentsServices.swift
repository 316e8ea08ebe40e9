public import Foundation
public import Logging
public import Residency
public import ServiceLifecycle
public import Tenancy
public import AgentProtocol

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
        fatalError("ComputeAgentsServices is being implemented")
    }

    /// The background services `falaj serve` runs: the dispatch wake-up listeners (LISTEN/NOTIFY per cell) and the
    /// reaper (lost agents, expired leases, stale gangs). Each ends on graceful shutdown.
    public var backgroundServices: [any Service] { fatalError("ComputeAgentsServices is being implemented") }
}

/// Join tokens: created by operators (any region, shared or dedicated) or tenant admins (dedicated to their tenant).
public struct JoinTokens: Sendable {
    /// Creates a token; returns it once, in clear, with its summary. Audited for tenant-dedicated tokens.
    /// - Throws: ``ComputeAgentsError/invalidFields(_:)``, ``ComputeAgentsError/forbidden(_:)`` (a tenant admin without
    ///   `nodes.manage`, or asking for another tenant or a region its residency policy does not allow for processing).
    public func create(_ request: JoinTokenRequest, by administrator: NodeAdministrator) async throws -> (token: String, summary: JoinTokenSummary) {
        fatalError()
    }

    /// Tokens the administrator may see (operators: all; tenant admins: their tenant's), newest first.
    public func list(by administrator: NodeAdministrator) async throws -> [JoinTokenSummary] { fatalError() }

    /// Revokes a token; agents already enrolled stay enrolled.
    public func revoke(_ id: UUID, by administrator: NodeAdministrator) async throws { fatalError() }
}

/// The agent registry in the directory database.
public struct AgentRegistry: Sendable {
    /// Enrols an agent with a join token: checks it (hash, expiry, uses, revocation), counts the use, stores the
    /// inventory and returns a fresh credential. `remoteAddress` is used as the rendezvous address when the agent does
    /// not advertise one.
    /// - Throws: ``ComputeAgentsError/unauthenticated(_:)`` for a bad token, ``ComputeAgentsError/invalidFields(_:)``.
    public func register(_ request: RegistrationRequest, remoteAddress: String) async throws -> RegistrationResponse { fatalError() }

    /// The agent behind a bearer credential, or nil when it is unknown or expired, or the agent is revoked.
    public func authenticate(_ bearer: String) async throws -> AgentIdentity? { fatalError() }

    /// Records a heartbeat (free resources, utilisation, last seen; a lost agent comes back to ready), renews the
    /// leases of the attempts it reports, and answers with commands (cancel attempts that are no longer its own or
    /// whose job was cancelled, drain) and, past half its lifetime, a renewed credential.
    public func heartbeat(_ agent: AgentIdentity, _ report: HeartbeatRequest) async throws -> HeartbeatResponse { fatalError() }

    /// Agents the administrator may see (operators: all; tenant admins: their dedicated ones), by region then host.
    public func list(by administrator: NodeAdministrator) async throws -> [AgentSummary] { fatalError() }

    /// Stops an agent from leasing new work; running jobs finish.
    public func drain(_ id: UUID, by administrator: NodeAdministrator) async throws { fatalError() }

    /// Refuses the agent from now on and releases its leases (their jobs are queued again).
    public func revoke(_ id: UUID, by administrator: NodeAdministrator) async throws { fatalError() }
}

/// The tenant-facing job queue. Every call runs in the tenant's home cell under its row-level security.
public struct JobQueue: Sendable {
    /// Validates and queues a job: kind and spec, resources within `quota` (GPUs allowed, nodes, active jobs), and
    /// residency (Residency's placement function decides which regions may process it; an explicit `region` the
    /// policy refuses throws ``ComputeAgentsError/placementRefused(_:)`` and is audited). Audited as `job.submitted`;
    /// wakes waiting agents with NOTIFY.
    public func submit(_ submission: JobSubmission, quota: JobQuota, context: RequestContext) async throws -> JobSummary { fatalError() }

    /// The tenant's jobs, newest first, optionally in one state.
    public func list(state: JobState?, limit: Int, context: RequestContext) async throws -> [JobSummary] { fatalError() }

    /// One job with attempts, events and artifacts.
    public func detail(_ id: UUID, context: RequestContext) async throws -> JobDetail { fatalError() }

    /// Log chunks in order (attempt, rank, seq) after the given position, at most `limit`.
    public func logs(_ id: UUID, after: (attempt: Int, nodeRank: Int, seq: Int)?, limit: Int, context: RequestContext) async throws -> [JobLogChunk] {
        fatalError()
    }

    /// Cancels a job: a queued one ends at once; a leased or running one is stopped on its node at the next heartbeat.
    /// Audited as `job.cancelled`. Cancelling a finished job is a ``ComputeAgentsError/conflict(_:)``.
    public func cancel(_ id: UUID, context: RequestContext) async throws -> JobSummary { fatalError() }

    /// Streams an artifact's decrypted bytes to `sink`; returns its size.
    public func readArtifact(_ id: UUID, path: String, context: RequestContext, into sink: @Sendable ([UInt8]) async throws -> Void) async throws -> Int64 {
        fatalError()
    }
}

/// The agent-facing side of the queue.
public struct Dispatcher: Sendable {
    /// Leases work for an agent: at most `maxJobs` queued jobs whose resources fit what it reported free, whose
    /// allowed regions include the agent's, whose node selector its labels satisfy, and (for a dedicated agent) of
    /// its tenant only; `FOR UPDATE SKIP LOCKED`, fair share by priority then `fair_seq`. Gang members reserved for
    /// this agent come first. Waits (woken by NOTIFY) up to the request's wait when nothing fits.
    public func lease(_ agent: AgentIdentity, _ request: LeaseRequest) async throws -> LeaseResponse { fatalError() }

    /// The scope of a job-scoped token, or nil when it is unknown or its lease has ended.
    public func authenticateJob(_ bearer: String) async throws -> JobTokenScope? { fatalError() }

    /// Stores one log chunk (idempotent on `seq`) and renews the lease.
    public func appendLog(_ scope: JobTokenScope, seq: Int, data: [UInt8]) async throws -> LogChunkAcknowledgement { fatalError() }

    /// Stores events; a `started` event moves the job to running.
    public func recordEvents(_ scope: JobTokenScope, _ batch: JobEventBatch) async throws { fatalError() }

    /// Streams an artifact into the tenant's encrypted blob store in its home region, verifying `sha256`; nothing is
    /// listed unless the digest matches.
    public func storeArtifact(
        _ scope: JobTokenScope, path: String, sha256: String, body: some AsyncSequence<[UInt8], any Error> & Sendable
    ) async throws -> ArtifactReceipt { fatalError() }

    /// Records how the attempt ended (idempotent). A failed attempt with attempts left is queued again.
    /// - Throws: ``ComputeAgentsError/conflict(_:)`` when the attempt is no longer the job's current one.
    public func reportResult(_ scope: JobTokenScope, _ report: JobResultReport) async throws -> JobResultAcknowledgement { fatalError() }

    /// The gang barrier: start once every member has picked its assignment up; abort when the gang was released.
    /// Waits up to a few seconds while members are missing.
    public func gangStatus(_ scope: JobTokenScope) async throws -> GangStatus { fatalError() }
}
