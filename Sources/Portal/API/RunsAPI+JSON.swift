import AgentProtocol
import ComputeAgents
import Foundation
import Learning
import Platform

/// `POST /api/v1/projects/:project/runs`.
struct StartRunRequest: Decodable {
    var kind: String?
    var experiment: String?
    var name: String?
    var dataset: String?
    var datasetVersion: Int?
    var training: TrainingSpec?
    var command: [String]?
    var code: String?
    var environment: [String: String]?
    var params: [String: String]?
    var tags: [String: String]?
    var resources: ResourcesJSON?
    var timeoutSeconds: Int?
    var maxAttempts: Int?

    enum CodingKeys: String, CodingKey {
        case kind, experiment, name, dataset, training, command, code, environment, params, tags, resources
        case datasetVersion = "dataset_version", timeoutSeconds = "timeout_seconds", maxAttempts = "max_attempts"
    }

    static let schema = Schema.object(
        [
            "kind": ["type": "string", "enum": ["builtin", "command"], "description": "builtin (default when `training` is given) or command"],
            "experiment": Schema.string("The experiment's name; made when new (default \"default\")"),
            "name": Schema.string("A label for the run"),
            "dataset": Schema.string("The dataset to learn from (builtin) or that the command reads (recorded as its input)"),
            "dataset_version": ["type": "integer", "description": "Default: the latest"],
            "training": Schema.object(
                [
                    "target": Schema.string("The column to predict"),
                    "task": ["type": "string", "enum": ["binary", "multiclass", "regression"], "description": "Default: chosen from the target"],
                    "algorithm": ["type": "string", "enum": ["boosted_trees", "logistic", "ridge"], "description": "Default: boosted_trees"],
                    "excluded_columns": Schema.array(Schema.string()), "validation_fraction": ["type": "number"],
                    "cross_validation_folds": Schema.integer, "seed": Schema.integer,
                    "regularization": ["type": "number", "description": "Logistic C or ridge alpha (default 1)"],
                    "boosting": Schema.object([
                        "learning_rate": ["type": "number"], "max_iter": Schema.integer, "max_leaf_nodes": Schema.integer, "max_depth": Schema.integer,
                        "min_samples_leaf": Schema.integer, "l2_regularization": ["type": "number"], "early_stopping": Schema.boolean,
                        "validation_fraction": ["type": "number"], "n_iter_no_change": Schema.integer, "tol": ["type": "number"],
                    ]),
                ],
                required: ["target"]
            ),
            "command": Schema.array(Schema.string()),
            "code": ["type": "string", "format": "uuid", "description": "A code bundle (POST …/code) unpacked into the run's folder before the command"],
            "environment": ["type": "object", "additionalProperties": ["type": "string"]],
            "params": ["type": "object", "additionalProperties": ["type": "string"]], "tags": ["type": "object", "additionalProperties": ["type": "string"]],
            "resources": ResourcesJSON.schema, "timeout_seconds": Schema.integer, "max_attempts": Schema.integer,
        ]
    )
}

/// A run as lists show it.
struct RunJSON: Encodable {
    var id: UUID
    var number: Int
    var name: String
    var experiment: String
    var kind: String
    var job: UUID
    var state: String
    var message: String
    var params: [String: String]
    var tags: [String: String]
    var inputs: RunInputs
    var metrics: [String: Double]
    var createdBy: String
    var createdAt: Date
    var finishedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, number, name, experiment, kind, job, state, message, params, tags, inputs, metrics
        case createdBy = "created_by", createdAt = "created_at", finishedAt = "finished_at"
    }

    init(_ run: RunSummary) {
        (id, number, name, experiment, kind, job) = (run.id, run.number, run.name, run.experiment, run.kind, run.jobID)
        (state, message, params, tags, inputs, metrics) = (run.state.rawValue, run.message, run.params, run.tags, run.inputs, run.finalMetrics)
        (createdBy, createdAt, finishedAt) = (run.createdBy, run.createdAt, run.finishedAt)
    }

    static let schema = Schema.object([
        "id": Schema.uuid, "number": Schema.integer, "name": Schema.string(), "experiment": Schema.string(),
        "kind": ["type": "string", "enum": ["builtin", "command"]], "job": Schema.uuid,
        "state": ["type": "string", "enum": ["queued", "leased", "running", "succeeded", "failed", "cancelled"]], "message": Schema.string(),
        "params": ["type": "object"], "tags": ["type": "object"], "inputs": ["type": "object"],
        "metrics": ["type": "object", "description": "Each metric's last value (latest attempt)"],
        "created_by": Schema.string(), "created_at": Schema.dateTime, "finished_at": Schema.optionalDateTime,
    ])
}

/// A run with its series, usage, artifacts and report.
struct RunDetailJSON: Encodable {
    struct Point: Encodable {
        var step: Int
        var value: Double
        var time: Date
    }

    struct Usage: Encodable {
        var cpuSeconds: Double
        var gpuSeconds: Double
        var peakMemoryBytes: Int64
        var wallSeconds: Double

        enum CodingKeys: String, CodingKey {
            case cpuSeconds = "cpu_seconds", gpuSeconds = "gpu_seconds", peakMemoryBytes = "peak_memory_bytes", wallSeconds = "wall_seconds"
        }
    }

    struct Artifact: Encodable {
        var path: String
        var sizeBytes: Int64
        var sha256: String

        enum CodingKeys: String, CodingKey {
            case path, sha256
            case sizeBytes = "size_bytes"
        }
    }

    var run: RunJSON
    var code: RunCode
    var series: [String: [Point]]
    var usage: Usage
    var artifacts: [Artifact]
    var report: TrainingReport?

    init(_ detail: RunDetail) {
        run = RunJSON(detail.summary)
        code = detail.code
        series = detail.metrics.mapValues { $0.map { Point(step: $0.step, value: $0.value, time: $0.time) } }
        usage = Usage(
            cpuSeconds: detail.usage.cpuSeconds, gpuSeconds: detail.usage.gpuSeconds, peakMemoryBytes: detail.usage.peakMemoryBytes,
            wallSeconds: detail.usage.wallSeconds)
        artifacts = detail.job.artifacts.map { Artifact(path: $0.path, sizeBytes: $0.sizeBytes, sha256: $0.sha256) }
        report = detail.report
    }

    static let schema = Schema.object([
        "run": RunJSON.schema, "code": ["type": "object", "description": "The trainer spec (`training`) or the `command`"],
        "series": ["type": "object", "description": "Metric name → [{step, value, time}] of the latest attempt"],
        "usage": Schema.object(["cpu_seconds": ["type": "number"], "gpu_seconds": ["type": "number"], "peak_memory_bytes": Schema.integer, "wall_seconds": ["type": "number"]]),
        "artifacts": Schema.array(Schema.object(["path": Schema.string(), "size_bytes": Schema.integer, "sha256": Schema.string()])),
        "report": ["type": ["object", "null"], "description": "A built-in run's report: task, features, held-out metrics, confusion matrix, importances"],
    ])
}

/// An experiment as the API shows it.
struct ExperimentJSON: Encodable {
    var id: UUID
    var name: String
    var description: String
    var runCount: Int
    var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name, description
        case runCount = "run_count", createdAt = "created_at"
    }

    init(_ experiment: Experiment) {
        (id, name, description, runCount, createdAt) = (experiment.id, experiment.name, experiment.description, experiment.runCount, experiment.createdAt)
    }

    static let schema = Schema.object([
        "id": Schema.uuid, "name": Schema.string(), "description": Schema.string(), "run_count": Schema.integer, "created_at": Schema.dateTime,
    ])
}

/// A stored code bundle.
struct CodeBundleJSON: Encodable {
    var id: UUID
    var fileName: String
    var sizeBytes: Int64
    var sha256: String
    var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, sha256
        case fileName = "file_name", sizeBytes = "size_bytes", createdAt = "created_at"
    }

    init(_ bundle: CodeBundle) {
        (id, fileName, sizeBytes, sha256, createdAt) = (bundle.id, bundle.fileName, bundle.sizeBytes, bundle.sha256, bundle.createdAt)
    }

    static let schema = Schema.object([
        "id": Schema.uuid, "file_name": Schema.string(), "size_bytes": Schema.integer, "sha256": Schema.string(), "created_at": Schema.dateTime,
    ])
}
