public import AgentProtocol
public import Foundation
public import Residency
public import Tenancy

/// The tenant-facing job queue. Every call runs in the tenant's home cell under its row-level security.
public struct JobQueue: Sendable {
    let context: ComputeAgentsContext

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
