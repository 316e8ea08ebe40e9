public import AgentProtocol
public import ComputeAgents
public import Foundation
public import Learning
import PostgresClient

/// A named group of runs in a project ("default" exists once a run was started without naming one).
public struct Experiment: Sendable, Equatable {
    /// The experiment's id.
    public var id: UUID
    /// Unique in the project.
    public var name: String
    /// Free text.
    public var description: String
    /// How many runs it holds.
    public var runCount: Int
    /// `user:<uuid>` or `api_key:<uuid>`.
    public var createdBy: String
    /// When it was made.
    public var createdAt: Date

    init(_ row: PostgresRow) throws {
        id = try row["id", as: UUID.self]
        name = try row["name", as: String.self]
        description = try row["description", as: String.self]
        runCount = try row["run_count", as: Int.self]
        createdBy = try row["created_by", as: String.self]
        createdAt = try row["created_at", as: Date.self]
    }
}

/// What a run learned from.
public struct RunInputs: Sendable, Equatable, Codable {
    /// The dataset version (built-in runs; custom runs that name one).
    public var dataset: BuiltinTrainingJob.DatasetInput?

    /// Creates inputs.
    public init(dataset: BuiltinTrainingJob.DatasetInput? = nil) { self.dataset = dataset }
}

/// What a run executed: the trainer spec of a built-in run, or the command of a custom one.
public struct RunCode: Sendable, Equatable, Codable {
    /// The built-in trainer's spec.
    public var training: TrainingSpec?
    /// The program and its arguments.
    public var command: [String]?
    /// The code bundle unpacked before the command, with its checksum.
    public var files: CommandJobSpec.Files?

    /// Creates a description of the code.
    public init(training: TrainingSpec? = nil, command: [String]? = nil, files: CommandJobSpec.Files? = nil) {
        self.training = training
        self.command = command
        self.files = files
    }
}

/// A run as lists and comparisons show it.
public struct RunSummary: Sendable, Equatable {
    /// The run's id (`FALAJ_RUN_ID`).
    public var id: UUID
    /// 1, 2, … in the project.
    public var number: Int
    /// A label; may be empty.
    public var name: String
    /// The experiment's name.
    public var experiment: String
    /// `builtin` or `command`.
    public var kind: String
    /// The job it runs as.
    public var jobID: UUID
    /// The job's state.
    public var state: JobState
    /// The job's last message (why it failed).
    public var message: String
    /// Parameters (set at start and logged).
    public var params: [String: String]
    /// Tags.
    public var tags: [String: String]
    /// Inputs.
    public var inputs: RunInputs
    /// The last value of each metric (latest attempt).
    public var finalMetrics: [String: Double]
    /// Who started it.
    public var createdBy: String
    /// When it was started.
    public var createdAt: Date
    /// When its job finished, if it has.
    public var finishedAt: Date?

    /// "Run 12" or "Run 12 · name".
    public var title: String { name.isEmpty ? "Run \(number)" : "Run \(number) · \(name)" }
}

/// One point of a metric series.
public struct MetricPoint: Sendable, Equatable {
    /// The step (iteration, epoch).
    public var step: Int
    /// The value.
    public var value: Double
    /// When the job reported it.
    public var time: Date
}

/// Resources a run used, summed over its attempts and nodes.
public struct RunResourceUsage: Sendable, Equatable {
    /// CPU seconds of the process trees.
    public var cpuSeconds: Double
    /// Wall seconds × GPUs leased.
    public var gpuSeconds: Double
    /// The largest peak memory of any attempt.
    public var peakMemoryBytes: Int64
    /// Wall seconds summed.
    public var wallSeconds: Double
}

/// A run with everything its page shows.
public struct RunDetail: Sendable, Equatable {
    /// The run.
    public var summary: RunSummary
    /// What it executed.
    public var code: RunCode
    /// Its job: attempts, events, artifacts.
    public var job: JobDetail
    /// Metric series of the latest attempt that reported any, by name, in step order.
    public var metrics: [String: [MetricPoint]]
    /// Resource usage.
    public var usage: RunResourceUsage
    /// The built-in trainer's report (`report.json`), once the run stored it.
    public var report: TrainingReport?
}

/// How to start a built-in run.
public struct BuiltinRunForm: Sendable {
    /// The experiment's name (made when missing); default "default".
    public var experiment: String
    /// A label for the run.
    public var name: String
    /// The dataset to learn from.
    public var dataset: String
    /// Its version; nil for the latest.
    public var datasetVersion: Int?
    /// What to train.
    public var training: TrainingSpec
    /// CPU and memory for the job (nil: two cores' worth of 1 GiB, trimmed to the plan).
    public var resources: ResourceRequest?

    /// Creates a form.
    public init(experiment: String = "default", name: String = "", dataset: String, datasetVersion: Int? = nil, training: TrainingSpec, resources: ResourceRequest? = nil) {
        self.experiment = experiment
        self.name = name
        self.dataset = dataset
        self.datasetVersion = datasetVersion
        self.training = training
        self.resources = resources
    }
}

/// How to start a custom (command) run.
public struct CommandRunForm: Sendable {
    /// The experiment's name (made when missing).
    public var experiment: String
    /// A label for the run.
    public var name: String
    /// The program and its arguments.
    public var command: [String]
    /// A code bundle of the project unpacked into the work folder first.
    public var code: UUID?
    /// Extra environment variables.
    public var environment: [String: String]
    /// Parameters recorded at start (the job may log more).
    public var params: [String: String]
    /// Tags.
    public var tags: [String: String]
    /// A dataset the run reads (recorded as its input), by name and optional version.
    public var dataset: String?
    /// The dataset's version; nil for the latest.
    public var datasetVersion: Int?
    /// CPU, memory, GPUs, nodes.
    public var resources: ResourceRequest
    /// Wall-clock limit.
    public var timeoutSeconds: Int
    /// Attempts before the run fails.
    public var maxAttempts: Int

    /// Creates a form.
    public init(
        experiment: String = "default", name: String = "", command: [String], code: UUID? = nil, environment: [String: String] = [:], params: [String: String] = [:],
        tags: [String: String] = [:], dataset: String? = nil, datasetVersion: Int? = nil, resources: ResourceRequest = ResourceRequest(),
        timeoutSeconds: Int = 3600, maxAttempts: Int = 1
    ) {
        self.experiment = experiment
        self.name = name
        self.command = command
        self.code = code
        self.environment = environment
        self.params = params
        self.tags = tags
        self.dataset = dataset
        self.datasetVersion = datasetVersion
        self.resources = resources
        self.timeoutSeconds = timeoutSeconds
        self.maxAttempts = maxAttempts
    }
}
