import Dispatch
import Foundation
import Synchronization

/// A child process (Foundation `Process`) whose exit can be awaited with a time limit, without blocking any thread.
final class ChildProcess: @unchecked Sendable {
    // @unchecked Sendable: `process` is fully configured in `init` and afterwards only launched once (in `launch()`,
    // before the object is shared) and asked for its pid, which Foundation allows from any thread. The exit status and
    // the waiting continuations live in `exit`, behind a Mutex.
    private let process: Process
    private let exit = ExitBox()

    /// The exit status and the tasks waiting for it; shared with the termination handler.
    private final class ExitBox: Sendable {
        struct State {
            var status: Int32?
            var nextWaiterID = 0
            var waiters: [Int: CheckedContinuation<Int32?, Never>] = [:]
        }

        let state = Mutex<State>(State())
    }

    /// Prepares `executable arguments…` with `environment`, run in `directory`, stdout and stderr appended to `output`.
    init(executable: URL, arguments: [String], environment: [String: String], directory: URL, output: FileHandle) {
        process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        process.terminationHandler = { [exit] process in
            let waiters = exit.state.withLock { state in
                state.status = process.terminationStatus
                defer { state.waiters = [:] }
                return Array(state.waiters.values)
            }
            for waiter in waiters { waiter.resume(returning: process.terminationStatus) }
        }
    }

    /// Starts the process (fork/exec; returns at once).
    func launch() throws {
        try process.run()
    }

    /// The process id.
    var pid: Int32 { process.processIdentifier }

    /// The exit status once the process has ended, else nil.
    var exitStatus: Int32? { exit.state.withLock { $0.status } }

    /// Suspends until the process exits (its status), `timeout` passes, or the task is cancelled (nil). Blocks no thread.
    func waitForExit(timeout: Duration) async -> Int32? {
        let waiterID = exit.state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int32?, Never>) in
                let finished: Int32?? = exit.state.withLock { state in
                    if let status = state.status { return .some(status) }
                    if Task.isCancelled { return .some(nil) }
                    state.waiters[waiterID] = continuation
                    return nil
                }
                if let finished {
                    continuation.resume(returning: finished)
                    return
                }
                let components = timeout.components
                let nanoseconds = components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(max(0, nanoseconds)))) { [exit] in
                    exit.state.withLock { $0.waiters.removeValue(forKey: waiterID) }?.resume(returning: nil)
                }
            }
        } onCancel: { [exit] in
            exit.state.withLock { $0.waiters.removeValue(forKey: waiterID) }?.resume(returning: nil)
        }
    }
}
