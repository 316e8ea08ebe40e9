import DequeModule
import Foundation

/// A fixed set of dedicated threads for blocking C calls (libpq, argon2, curl easy handles, file I/O).
///
/// Swift's cooperative pool has one thread per core; a blocking call there stalls unrelated tasks.
/// ``run(_:)`` hands the closure to one of these threads and suspends the caller until it returns.
/// Work runs in submission order, at most ``threadCount`` items at once.
public final class BlockingPool: Sendable {
    private struct Job {
        let work: () -> Void
    }

    /// Guards `jobs` and `isShutDown`; `NSCondition` is a mutex plus a condition variable.
    private let condition = NSCondition()
    // Mutated only while `condition` is locked.
    nonisolated(unsafe) private var jobs = Deque<Job>()
    nonisolated(unsafe) private var isShutDown = false
    /// The number of threads this pool runs.
    public let threadCount: Int

    /// Starts `threadCount` threads named `name-N`. They run until ``shutdown()``.
    /// - Parameters:
    ///   - name: a prefix for the thread names, seen in debuggers and `top -H`.
    ///   - threadCount: how many blocking calls can run at once (at least 1).
    public init(name: String, threadCount: Int) {
        self.threadCount = max(1, threadCount)
        for index in 0..<self.threadCount {
            let thread = Thread { [self] in self.workLoop() }
            thread.name = "\(name)-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// A pool shared by the process for short blocking calls that have no pool of their own (file reads, hashing).
    public static let shared = BlockingPool(name: "falaj-blocking", threadCount: max(4, ProcessInfo.processInfo.activeProcessorCount * 2))

    /// Runs `body` on one of the pool's threads and returns its result. The calling task suspends, never blocks.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            submit { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Runs a closure that cannot throw on one of the pool's threads.
    public func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            submit { continuation.resume(returning: body()) }
        }
    }

    /// Queues `work` without waiting for it. Work submitted after ``shutdown()`` runs on the caller's thread.
    public func submit(_ work: @escaping @Sendable () -> Void) {
        condition.lock()
        if isShutDown {
            condition.unlock()
            work()
            return
        }
        jobs.append(Job(work: work))
        condition.signal()
        condition.unlock()
    }

    /// Lets the threads finish queued work and exit. Safe to call more than once.
    public func shutdown() {
        condition.lock()
        isShutDown = true
        condition.broadcast()
        condition.unlock()
    }

    private func workLoop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !isShutDown {
                condition.wait()
            }
            guard let job = jobs.popFirst() else {
                condition.unlock()
                return
            }
            condition.unlock()
            job.work()
        }
    }
}
