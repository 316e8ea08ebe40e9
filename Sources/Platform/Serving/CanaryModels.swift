public import Foundation

/// A canary rollout as it is asked for: `candidate` takes `steps` of the traffic in turn (from `baseline`), each held
/// for `bakeSeconds`, while its error rate and p99 latency stay under the guardrails.
public struct CanaryForm: Sendable, Equatable {
    /// The variant rolled out.
    public var candidate: String
    /// The variant whose traffic it takes; nil: the other variant with the largest weight.
    public var baseline: String?
    /// The candidate's share at each step, in percent, increasing (1–10 steps).
    public var steps: [Int]
    /// How long each step is held before the next, in seconds.
    public var bakeSeconds: Int
    /// The largest share of the candidate's answers that may fail (status 500 or above), 0–1.
    public var maxErrorRate: Double
    /// The largest p99 latency of the candidate's answers, in milliseconds; nil: not watched.
    public var maxP99Milliseconds: Double?
    /// Answers a step needs before it is judged (and before it may end).
    public var minRequests: Int

    /// Creates a form; the defaults are 10% → 50%, 5 minutes a step, 5% errors, 20 answers a step.
    public init(
        candidate: String, baseline: String? = nil, steps: [Int] = [10, 50], bakeSeconds: Int = 300, maxErrorRate: Double = 0.05,
        maxP99Milliseconds: Double? = nil, minRequests: Int = 20
    ) {
        self.candidate = candidate
        self.baseline = baseline
        self.steps = steps
        self.bakeSeconds = bakeSeconds
        self.maxErrorRate = maxErrorRate
        self.maxP99Milliseconds = maxP99Milliseconds
        self.minRequests = minRequests
    }

    /// Problems by field (`steps`, `bake_seconds`, …); empty when the form is usable.
    var problems: [String: String] {
        var problems: [String: String] = [:]
        if steps.isEmpty || steps.count > 10 { problems["steps"] = "Give 1 to 10 steps" }
        if !steps.allSatisfy({ (1...100).contains($0) }) || zip(steps, steps.dropFirst()).contains(where: { $0 >= $1 }) {
            problems["steps"] = "Give increasing shares from 1 to 100 percent, such as 10, 50, 100"
        }
        if !(1...86_400).contains(bakeSeconds) { problems["bake_seconds"] = "Bake each step for 1 second to 1 day" }
        if !(maxErrorRate >= 0 && maxErrorRate <= 1) { problems["max_error_rate"] = "Use a share from 0 to 1 (0.05 is 5%)" }
        if let p99 = maxP99Milliseconds, !(p99 > 0 && p99.isFinite) { problems["max_p99_ms"] = "Use a positive number of milliseconds" }
        if !(1...1_000_000).contains(minRequests) { problems["min_requests"] = "Use 1 to 1,000,000 answers" }
        return problems
    }
}

/// A canary rollout of a deployment and where it stands.
public struct Canary: Sendable, Equatable {
    /// The rollout's id.
    public var id: UUID
    /// The variant rolled out and the one whose traffic it takes.
    public var candidate: String, baseline: String
    /// The candidate's share at each step, in percent.
    public var steps: [Int]
    /// Seconds each step is held.
    public var bakeSeconds: Int
    /// The guardrails.
    public var maxErrorRate: Double, maxP99Milliseconds: Double?, minRequests: Int
    /// The current step (1-based) and when it began.
    public var step: Int, stepStartedAt: Date
    /// `running`, `completed`, `rolled_back` or `aborted`, and why it ended.
    public var state: String, reason: String
    /// Who began it and when; when it ended.
    public var createdBy: String, createdAt: Date, finishedAt: Date?
    /// The candidate's answers in the current step (running canaries only).
    public var stepFigures: CanaryFigures?

    /// The candidate's share in the current step.
    public var share: Int { steps[min(max(step, 1), steps.count) - 1] }
}

/// A candidate's answers since its step began.
public struct CanaryFigures: Sendable, Equatable {
    /// Answers, and those that failed (status 500 or above).
    public var requests: Int, errors: Int
    /// 99th percentile latency, in milliseconds (nil without answers).
    public var p99Milliseconds: Double?
    /// Seconds since the step began.
    public var elapsedSeconds: Double

    /// Failed answers over all answers (0 without answers).
    public var errorRate: Double { requests > 0 ? Double(errors) / Double(requests) : 0 }
}

/// What the serving controller did with a running canary.
public enum CanaryDecision: Sendable, Equatable {
    /// Still baking or waiting for answers.
    case hold
    /// Moved to the next step.
    case advanced(step: Int, share: Int)
    /// The candidate took all the traffic.
    case completed
    /// A guardrail tripped; the traffic before the canary is back.
    case rolledBack(reason: String)
}
