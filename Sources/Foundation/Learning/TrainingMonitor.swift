import Synchronization

/// Lets another thread follow a training and stop it: the trainer reports each boosting iteration and checks
/// ``isStopped`` between iterations (a fit in progress ends at the next one; linear fits are short and run to their
/// end). Thread-safe.
public final class TrainingMonitor: Sendable {
    private struct State {
        var iteration = 0
        var planned = 0
        var isStopped = false
    }

    private let state = Mutex(State())

    /// A monitor that has not been stopped.
    public init() {}

    /// Asks the training to stop; ``TrainingPipeline`` then throws a ``TrainingError`` with field `cancelled`.
    public func stop() { state.withLock { $0.isStopped = true } }

    /// Whether ``stop()`` was called.
    public var isStopped: Bool { state.withLock { $0.isStopped } }

    /// The boosting iteration reached and the most there can be (both 0 before boosting starts).
    public var progress: (iteration: Int, planned: Int) { state.withLock { ($0.iteration, $0.planned) } }

    /// Records that `iteration` of at most `planned` is done.
    func advance(to iteration: Int, of planned: Int) {
        state.withLock { state in
            state.iteration = iteration
            state.planned = planned
        }
    }
}
