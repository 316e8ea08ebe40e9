public import AgentProtocol
public import Foundation
public import Residency
public import Tenancy

/// The agent-facing side of the queue.
public struct Dispatcher: Sendable {
    let context: ComputeAgentsContext

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
