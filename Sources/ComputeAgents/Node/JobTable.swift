import AgentProtocol
import Foundation
import Subprocess
import Synchronization

/// One leased attempt the node is running, with the switch that cancels it.
final class JobControl: Sendable {
    /// The lease.
    let job: LeasedJob
    /// The gang rank (0 for single-node jobs).
    var rank: Int { job.gang?.nodeRank ?? 0 }
    private let state = Mutex<(cancelReason: String?, process: RunningProcess?)>((nil, nil))

    init(job: LeasedJob) { self.job = job }

    /// Why the attempt was cancelled, once it was.
    var cancelReason: String? { state.withLock { $0.cancelReason } }

    /// Records the process so ``cancel(reason:)`` can reach it.
    func attach(_ process: RunningProcess) { state.withLock { $0.process = process } }

    /// Marks the attempt cancelled; the executor notices within ~100 ms and kills the process group.
    func cancel(reason: String) {
        state.withLock { if $0.cancelReason == nil { $0.cancelReason = reason } }
    }
}

/// The attempts running on the node and the resources they hold; shared by the lease, heartbeat and job tasks.
final class JobTable: Sendable {
    private let jobs = Mutex<[String: JobControl]>([:])

    /// A key for one attempt of one rank.
    static func key(_ job: LeasedJob) -> String { "\(job.jobID.uuidString.lowercased())-a\(job.attempt)-r\(job.gang?.nodeRank ?? 0)" }

    /// Adds a leased attempt; returns its control.
    func add(_ job: LeasedJob) -> JobControl {
        let control = JobControl(job: job)
        jobs.withLock { $0[Self.key(job)] = control }
        return control
    }

    /// Removes an attempt (its resources are free again).
    func remove(_ job: LeasedJob) { _ = jobs.withLock { $0.removeValue(forKey: Self.key(job)) } }

    /// Every running attempt.
    var all: [JobControl] { jobs.withLock { Array($0.values) } }

    /// How many attempts run.
    var count: Int { jobs.withLock { $0.count } }

    /// Total resources less those the running attempts asked for.
    func free(total: ResourceAmounts) -> ResourceAmounts {
        all.reduce(total) { $0.subtracting($1.job.resources.amounts) }
    }

    /// `gpuIndices` less those given to running attempts.
    func freeGPUIndices(all indices: [Int]) -> [Int] {
        let used = Set(all.flatMap(\.job.gpuIndices))
        return indices.filter { !used.contains($0) }
    }

    /// Cancels the attempts of `jobID` (only `attempt` when given); returns how many were found.
    @discardableResult
    func cancel(jobID: UUID, attempt: Int?, reason: String) -> Int {
        let matching = all.filter { $0.job.jobID == jobID && (attempt == nil || $0.job.attempt == attempt) }
        for control in matching { control.cancel(reason: reason) }
        return matching.count
    }

    /// Cancels everything.
    func cancelAll(reason: String) { for control in all { control.cancel(reason: reason) } }
}
