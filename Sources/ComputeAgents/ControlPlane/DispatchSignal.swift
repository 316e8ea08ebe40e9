import AgentProtocol
import Foundation
import Synchronization

/// The in-process wake-up for lease long-polls: a generation counter that ``fire()`` bumps, and the waiters that
/// resume when it moves.
///
/// A poller reads ``generation`` before it looks for work and then waits with ``wait(after:timeout:)``; a job queued
/// between the look and the wait has already bumped the generation, so the wait returns at once and nothing is missed.
/// Submissions in this process fire it directly; the `falaj_dispatch` LISTEN service fires it for other processes.
final class DispatchSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var isStopped = false
        /// Wake-ups per cell; a wake-up for every cell bumps ``everyCell``.
        var cellGenerations: [String: UInt64] = [:]
        var everyCell: UInt64 = 0
        var nextWaiterID = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    /// The current generation.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Whether the process is shutting down: long-polls answer at once (with no work) so the server can drain.
    var isStopped: Bool { state.withLock { $0.isStopped } }

    /// Marks the process as shutting down and wakes every waiter.
    func stop() {
        state.withLock { $0.isStopped = true }
        fire()
    }

    /// How many wake-ups concerned `region` (its own plus those for every cell): a cell found without work for an
    /// agent need not be asked again until this moves (see ``DispatchShared/mayHaveWork(in:for:free:)``).
    func generation(of region: String) -> UInt64 {
        state.withLock { ($0.cellGenerations[region] ?? 0) &+ $0.everyCell }
    }

    /// Wakes every waiter; `region` names the cell whose queue changed (nil: any or every cell).
    func fire(region: String? = nil) {
        let waiters = state.withLock { state in
            state.generation &+= 1
            if let region { state.cellGenerations[region, default: 0] &+= 1 } else { state.everyCell &+= 1 }
            let waiters = state.waiters
            state.waiters.removeAll()
            return waiters
        }
        for waiter in waiters.values { waiter.resume() }
    }

    /// Suspends until the generation moves past `generation`, `timeout` passes, or the task is cancelled.
    func wait(after generation: UInt64, timeout: Duration) async {
        guard timeout > .zero else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForChange(after: generation) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForChange(after generation: UInt64) async {
        let id = state.withLock { state -> Int in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.generation != generation || state.isStopped || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}

/// In-memory state the dispatcher shares between requests of this process (held by ``ComputeAgentsContext``).
final class DispatchShared: Sendable {
    /// Wakes lease long-polls.
    let signal = DispatchSignal()
    /// Rotates the cell a lease looks at first, so no cell's queue is always served last.
    let rotation = Atomic<Int>(0)
    /// When a gang job was last tried, so an unformable gang does not cost every lease a directory query.
    private let gangTries = Mutex<[String: ContinuousClock.Instant]>([:])

    /// Cells that had nothing for an agent: region + agent → the cell's wake-up generation, the agent's free resources
    /// and when. Such a cell is skipped until a wake-up concerns it, the agent's free resources change, or a second
    /// passes (so work that arrived without a wake-up, e.g. a released reservation, is still found).
    private let emptyLooks = Mutex<[String: (generation: UInt64, free: ResourceAmounts, at: ContinuousClock.Instant)]>([:])

    /// Whether `region` may have work for `agent` with `free` resources (false only right after an empty look).
    func mayHaveWork(in region: String, for agent: UUID, free: ResourceAmounts) -> Bool {
        let key = region + "|" + agent.uuidString
        let generation = signal.generation(of: region)
        guard let look = emptyLooks.withLock({ $0[key] }) else { return true }
        return look.generation != generation || look.free != free || ContinuousClock.now - look.at >= .seconds(1)
    }

    /// Records that `region` had nothing for `agent` as of `generation` (read before looking).
    func recordEmptyLook(in region: String, for agent: UUID, free: ResourceAmounts, generation: UInt64) {
        let key = region + "|" + agent.uuidString
        emptyLooks.withLock { looks in
            if looks.count > 100_000 { looks.removeAll() }  // bounded: agents come and go
            looks[key] = (generation, free, ContinuousClock.now)
        }
    }

    /// When a lease last wrote each agent's free resources to its directory row.
    private let resourceWrites = Mutex<[UUID: ContinuousClock.Instant]>([:])

    /// Whether a lease should write `agent`'s free resources and `last_seen_at` now: at most once per `interval` per
    /// agent (heartbeats write them too), so a busy agent leasing many jobs a second costs the directory one update a
    /// second, not one per lease. Records the write.
    func mayRecordLeaseResources(of agent: UUID, interval: Duration = .seconds(1)) -> Bool {
        let now = ContinuousClock.now
        return resourceWrites.withLock { writes in
            if let last = writes[agent], now - last < interval { return false }
            if writes.count > 100_000 { writes.removeAll() }  // bounded: agents come and go
            writes[agent] = now
            return true
        }
    }

    /// The index of the first cell to look at for the next lease among `count` cells.
    func nextStart(of count: Int) -> Int {
        guard count > 1 else { return 0 }
        return rotation.add(1, ordering: .relaxed).newValue % count
    }

    /// Whether the gang job `key` may be tried now (at most once per `interval`); records the try.
    func mayTryGang(_ key: String, interval: Duration = .seconds(1)) -> Bool {
        let now = ContinuousClock.now
        return gangTries.withLock { tries in
            if let last = tries[key], now - last < interval { return false }
            if tries.count > 10_000 { tries = tries.filter { now - $0.value < interval } }
            tries[key] = now
            return true
        }
    }
}
