public import ComputeAgents
public import Foundation

/// One variant of a deployment as it is asked for.
public struct VariantForm: Sendable {
    /// Unique in the deployment (`a`, `challenger`).
    public var name: String
    /// The registered model (in the deployment's project).
    public var model: String
    /// The version; nil with `alias` nil means the latest.
    public var version: Int?
    /// An alias resolved to its version when the deployment is made.
    public var alias: String?
    /// Share of the traffic in percent.
    public var weight: Int
    /// Replicas to run (1…16).
    public var replicas: Int
    /// CPU per replica in thousandths of a core (default 500): a large share keeps replicas on separate nodes.
    public var cpuMillis: Int
    /// A shadow takes no traffic (weight 0) but gets a copy of every request; its answers are logged, never returned.
    public var shadow: Bool

    /// Creates a variant.
    public init(
        name: String, model: String, version: Int? = nil, alias: String? = nil, weight: Int, replicas: Int = 1, cpuMillis: Int = 500, shadow: Bool = false
    ) {
        self.name = name
        self.model = model
        self.version = version
        self.alias = alias
        self.weight = weight
        self.replicas = replicas
        self.cpuMillis = cpuMillis
        self.shadow = shadow
    }
}

/// A deployment as it is asked for.
public struct DeploymentForm: Sendable {
    /// The endpoint's name, unique in the organisation.
    public var name: String
    /// Free text.
    public var description: String
    /// The variants; their weights sum to 100.
    public var variants: [VariantForm]

    /// Creates a form.
    public init(name: String, description: String = "", variants: [VariantForm]) {
        self.name = name
        self.description = description
        self.variants = variants
    }
}

/// One replica: its job, and whether and where it serves.
public struct ReplicaStatus: Sendable, Equatable {
    /// The `serve.replica` job.
    public var jobID: UUID
    /// The job's state.
    public var state: JobState
    /// Where it serves (`http://host:port`), once it reported ready in its current attempt.
    public var url: String?
    /// The job's last message.
    public var message: String
    /// The model version it serves.
    public var version: Int
    /// `current` (in rotation when serving), `rollout` (a new version starting next to the current ones) or `retired`
    /// (out of rotation, draining or drained).
    public var role: String

    /// Creates a status.
    public init(jobID: UUID, state: JobState, url: String?, message: String, version: Int, role: String = "current") {
        (self.jobID, self.state, self.url, self.message, self.version, self.role) = (jobID, state, url, message, version, role)
    }

    /// Whether the gateway may send it traffic: a current replica that reported ready and still runs.
    public var isServing: Bool { role == "current" && isReady }
    /// Whether it runs and reported ready (whatever its role).
    public var isReady: Bool { state == .running && url != nil }
}

/// A variant with its model and replicas.
public struct DeploymentVariant: Sendable, Equatable {
    /// The variant's name.
    public var name: String
    /// The registered model's id and name, and the version served.
    public var modelID: UUID, model: String, version: Int
    /// Traffic share in percent.
    public var weight: Int
    /// Replicas asked for.
    public var replicaCount: Int
    /// The version being rolled out to this variant, while its new replicas start.
    public var rolloutVersion: Int? = nil
    /// Whether it is a shadow (a copy of the traffic, answers logged only).
    public var isShadow = false
    /// The replicas' states.
    public var replicas: [ReplicaStatus]
}

/// A deployment with its variants.
public struct Deployment: Sendable, Equatable {
    /// The deployment's id.
    public var id: UUID
    /// The endpoint's name.
    public var name: String
    /// The project's URL name.
    public var project: String
    /// Free text.
    public var description: String
    /// `active` or `stopped`.
    public var state: String
    /// The variants, by name.
    public var variants: [DeploymentVariant]
    /// Who made it and when.
    public var createdBy: String, createdAt: Date
    /// The share of prediction requests whose inputs and outputs are stored (0–100).
    public var payloadSamplePercent: Double = 0
    /// Inputs never stored with a payload: those the project's feature catalog marks sensitive (filled for routing).
    public var excludedInputs: Set<String> = []
}
