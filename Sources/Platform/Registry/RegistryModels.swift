public import Foundation
public import Learning
import PostgresClient
public import Tabular

/// What must hold before an alias may point at a version. Stored per registered model.
public struct PromotionGates: Sendable, Equatable, Codable {
    /// One metric requirement. `min` / `max` bound the candidate's value; `maxRegression` allows it to be worse than
    /// the version `against` points at (default `champion`) by at most that much (in the metric's own direction:
    /// lower is better for errors and losses, higher for the rest). A missing metric fails the rule.
    public struct MetricRule: Sendable, Equatable, Codable {
        /// The metric's name (`roc_auc`, `rmse`, …).
        public var metric: String
        /// The candidate's value must be at least this.
        public var min: Double?
        /// The candidate's value must be at most this.
        public var max: Double?
        /// The candidate may be worse than the alias `against` points at by at most this.
        public var maxRegression: Double?
        /// The alias to compare with (default `champion`); the rule passes when it points nowhere yet.
        public var against: String?

        /// Creates a rule.
        public init(metric: String, min: Double? = nil, max: Double? = nil, maxRegression: Double? = nil, against: String? = nil) {
            self.metric = metric
            self.min = min
            self.max = max
            self.maxRegression = maxRegression
            self.against = against
        }

        enum CodingKeys: String, CodingKey {
            case metric, min, max, against
            case maxRegression = "max_regression"
        }
    }

    /// Metric requirements, all of which must pass.
    public var metrics: [MetricRule]
    /// A member with `models.approve` other than the requester must approve.
    public var requireApproval: Bool
    /// Run the compliance checks (``PromotionCheck``).
    public var compliance: Bool

    /// Creates gates (none by default but the compliance checks).
    public init(metrics: [MetricRule] = [], requireApproval: Bool = false, compliance: Bool = true) {
        self.metrics = metrics
        self.requireApproval = requireApproval
        self.compliance = compliance
    }

    enum CodingKeys: String, CodingKey {
        case metrics, compliance
        case requireApproval = "require_approval"
    }

    /// Decodes gates; every key may be left out.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        metrics = try container.decodeIfPresent([MetricRule].self, forKey: .metrics) ?? []
        requireApproval = try container.decodeIfPresent(Bool.self, forKey: .requireApproval) ?? false
        compliance = try container.decodeIfPresent(Bool.self, forKey: .compliance) ?? true
    }

    /// Problems by field; empty when the gates are usable.
    public var problems: [String: String] {
        var problems: [String: String] = [:]
        if metrics.count > 20 { problems["metrics"] = "Use at most 20 metric rules" }
        for (index, rule) in metrics.enumerated() {
            let field = "metrics[\(index)]"
            if rule.metric.isEmpty || rule.metric.count > 200 { problems[field + ".metric"] = "Name the metric" }
            if rule.min == nil && rule.max == nil && rule.maxRegression == nil {
                problems[field] = "Give min, max or max_regression"
            }
            if let regression = rule.maxRegression, !(regression >= 0 && regression.isFinite) {
                problems[field + ".max_regression"] = "Use a non-negative number"
            }
            if let against = rule.against, ModelRegistry.aliasProblem(against) != nil { problems[field + ".against"] = "Name an alias" }
        }
        return problems
    }
}

/// A registered model: a name in a project, its gates, its aliases and its latest version.
public struct RegisteredModel: Sendable, Equatable {
    /// The model's id.
    public var id: UUID
    /// Unique in the project.
    public var name: String
    /// Free text.
    public var description: String
    /// The promotion gates.
    public var gates: PromotionGates
    /// The highest version number, if any.
    public var latestVersion: Int?
    /// Alias → version.
    public var aliases: [String: Int]
    /// Who made it.
    public var createdBy: String
    /// When.
    public var createdAt: Date
}

/// The inputs a model version takes and what it returns.
public struct ModelSignature: Sendable, Equatable, Codable {
    /// What a prediction returns.
    public struct Output: Sendable, Equatable, Codable {
        /// `class` (classification), `number` (regression) or `tensor` (custom models).
        public var type: String
        /// The classes, in probability order.
        public var classes: [String]?

        /// Creates an output description.
        public init(type: String, classes: [String]? = nil) {
            self.type = type
            self.classes = classes
        }
    }

    /// Input features, in order, with their types.
    public var inputs: [Column]
    /// The output.
    public var output: Output

    /// Creates a signature.
    public init(inputs: [Column], output: Output) {
        self.inputs = inputs
        self.output = output
    }
}

/// Where a version came from.
public struct ModelLineage: Sendable, Equatable, Codable {
    /// The run, when it came from one.
    public struct RunReference: Sendable, Equatable, Codable {
        /// The run's id.
        public var id: UUID
        /// Its number in the project.
        public var number: Int
        /// Its experiment.
        public var experiment: String
        /// Its job.
        public var job: UUID
        /// The artifact the version was copied from.
        public var artifact: String
    }

    /// A feature group version whose features reached the model through a training set.
    public struct FeatureGroupReference: Sendable, Equatable, Codable {
        /// `group:feature`.
        public var reference: String
        /// The feature group's id.
        public var groupID: UUID
        /// The group's version the training set read.
        public var groupVersion: Int
    }

    /// The run.
    public var run: RunReference?
    /// The dataset versions it learned from.
    public var datasets: [BuiltinTrainingJob.DatasetInput]
    /// The feature group versions behind those datasets (when a dataset is a training set).
    public var featureGroups: [FeatureGroupReference]
    /// The code: a trainer spec or a command.
    public var code: RunCode?
    /// The run's parameters.
    public var params: [String: String]

    /// Creates lineage.
    public init(run: RunReference?, datasets: [BuiltinTrainingJob.DatasetInput], featureGroups: [FeatureGroupReference], code: RunCode?, params: [String: String]) {
        self.run = run
        self.datasets = datasets
        self.featureGroups = featureGroups
        self.code = code
        self.params = params
    }

    enum CodingKeys: String, CodingKey {
        case run, datasets, code, params
        case featureGroups = "feature_groups"
    }

    /// Decodes lineage; `feature_groups` may be absent.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        run = try container.decodeIfPresent(RunReference.self, forKey: .run)
        datasets = try container.decodeIfPresent([BuiltinTrainingJob.DatasetInput].self, forKey: .datasets) ?? []
        featureGroups = try container.decodeIfPresent([FeatureGroupReference].self, forKey: .featureGroups) ?? []
        code = try container.decodeIfPresent(RunCode.self, forKey: .code)
        params = try container.decodeIfPresent([String: String].self, forKey: .params) ?? [:]
    }
}

/// One immutable version of a registered model.
public struct ModelVersion: Sendable, Equatable {
    /// 1, 2, … per model.
    public var version: Int
    /// The run it came from, if any.
    public var runID: UUID?
    /// The file's name (what a download is called).
    public var fileName: String
    /// Its size.
    public var sizeBytes: Int64
    /// Its SHA-256 (hex).
    public var sha256: String
    /// `falaj-model` or `custom`.
    public var format: String
    /// Inputs and output.
    public var signature: ModelSignature?
    /// Final metrics.
    public var metrics: [String: Double]
    /// Where it came from.
    public var lineage: ModelLineage
    /// Free text.
    public var description: String
    /// Who registered it.
    public var registeredBy: String
    /// When.
    public var createdAt: Date

    init(_ row: PostgresRow) throws {
        version = try row["version", as: Int.self]
        runID = try row["run_id", as: UUID?.self]
        fileName = try row["file_name", as: String.self]
        sizeBytes = try row["size_bytes", as: Int64.self]
        sha256 = try row["sha256", as: String.self]
        format = try row["format", as: String.self]
        let signatureJSON = try row["signature", as: PostgresJSON.self]
        signature = signatureJSON.text == "{}" ? nil : try? signatureJSON.decode(ModelSignature.self)
        metrics = try row["metrics", as: PostgresJSON.self].decode([String: Double].self)
        lineage = try row["lineage", as: PostgresJSON.self].decode(ModelLineage.self)
        description = try row["description", as: String.self]
        registeredBy = try row["registered_by", as: String.self]
        createdAt = try row["created_at", as: Date.self]
    }
}
