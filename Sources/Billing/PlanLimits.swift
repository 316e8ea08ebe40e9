/// What a plan allows on compute and serving: how many jobs may be active at once, whether jobs may use GPUs, how many
/// nodes one job (a multi-node gang) may ask for, and how many predictions a second the gateway answers.
///
/// | plan | active jobs | GPUs | nodes per job | predictions/s (bursts of twice that) |
/// |---|---|---|---|---|
/// | `free` | 2 | no | 1 | 20 |
/// | `team` | 20 | yes | 4 | 1,000 |
/// | `enterprise` | 200 | yes | 16 | 20,000 |
///
/// An unknown plan name gets the free plan's limits, so a typo never grants more than intended. The portal turns these
/// numbers into the job queue's quota when a job is submitted.
public struct PlanLimits: Sendable, Equatable {
    /// The plan's name as stored on the tenant (`free`, `team`, `enterprise`).
    public var plan: String
    /// Jobs that may be queued, leased or running at once.
    public var maximumActiveJobs: Int
    /// Whether jobs may ask for GPUs.
    public var isGPUAllowed: Bool
    /// The most nodes one job may ask for.
    public var maximumNodesPerJob: Int
    /// Prediction requests a second through the gateway (per control-plane process); bursts may reach twice this.
    public var predictionsPerSecond: Int

    /// Creates limits.
    /// - Parameters:
    ///   - plan: the plan's name.
    ///   - maximumActiveJobs: jobs queued, leased or running at once.
    ///   - isGPUAllowed: whether jobs may ask for GPUs.
    ///   - maximumNodesPerJob: the most nodes one job may ask for.
    ///   - predictionsPerSecond: prediction requests a second.
    public init(plan: String, maximumActiveJobs: Int, isGPUAllowed: Bool, maximumNodesPerJob: Int, predictionsPerSecond: Int) {
        self.plan = plan
        self.maximumActiveJobs = maximumActiveJobs
        self.isGPUAllowed = isGPUAllowed
        self.maximumNodesPerJob = maximumNodesPerJob
        self.predictionsPerSecond = predictionsPerSecond
    }

    /// The free plan: 2 active jobs, CPU only, 1 node per job, 20 predictions/s.
    public static let free = PlanLimits(plan: "free", maximumActiveJobs: 2, isGPUAllowed: false, maximumNodesPerJob: 1, predictionsPerSecond: 20)
    /// The team plan: 20 active jobs, GPUs allowed, up to 4 nodes per job, 1,000 predictions/s.
    public static let team = PlanLimits(plan: "team", maximumActiveJobs: 20, isGPUAllowed: true, maximumNodesPerJob: 4, predictionsPerSecond: 1_000)
    /// The enterprise plan: 200 active jobs, GPUs allowed, up to 16 nodes per job, 20,000 predictions/s.
    public static let enterprise = PlanLimits(
        plan: "enterprise", maximumActiveJobs: 200, isGPUAllowed: true, maximumNodesPerJob: 16, predictionsPerSecond: 20_000)

    /// Every plan, cheapest first.
    public static let all: [PlanLimits] = [.free, .team, .enterprise]

    /// The limits of `plan` (case-insensitive); the free plan's for a name that is not a plan.
    /// - Parameter plan: the tenant's plan name.
    public static func forPlan(_ plan: String) -> PlanLimits {
        all.first { $0.plan == plan.lowercased() } ?? .free
    }
}
