import AgentProtocol
import ComputeAgents
import Foundation

/// A job with its spec, attempts, events, latest metrics and artifacts (`GET /api/v1/jobs/:id`).
struct JobDetailJSON: Encodable {
    var job: JobJSON
    var spec: JSONValue
    var nodeSelector: [String: String]
    var timeoutSeconds: Int
    var attempts: [AttemptJSON]
    var events: [EventJSON]
    var metrics: [MetricJSON]
    var artifacts: [ArtifactJSON]

    enum CodingKeys: String, CodingKey {
        case spec, attempts, events, metrics, artifacts
        case nodeSelector = "node_selector", timeoutSeconds = "timeout_seconds"
    }

    init(_ detail: JobDetail) {
        job = JobJSON(detail.summary)
        spec = (try? JSONDecoder().decode(JSONValue.self, from: Data(detail.specJSON.utf8))) ?? .object([:])
        nodeSelector = detail.nodeSelector
        timeoutSeconds = detail.timeoutSeconds
        attempts = detail.attempts.map(AttemptJSON.init)
        events = detail.events.map(EventJSON.init)
        metrics = JobMetrics.latest(detail.events).map(MetricJSON.init)
        artifacts = detail.artifacts.map { ArtifactJSON($0, job: detail.summary.id) }
    }

    /// The job's members at the top level, then the detail members.
    func encode(to encoder: any Encoder) throws {
        try job.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(spec, forKey: .spec)
        try container.encode(nodeSelector, forKey: .nodeSelector)
        try container.encode(timeoutSeconds, forKey: .timeoutSeconds)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(events, forKey: .events)
        try container.encode(metrics, forKey: .metrics)
        try container.encode(artifacts, forKey: .artifacts)
    }

    static let schema: JSONValue = {
        var properties = JobJSON.properties
        properties["spec"] = ["type": "object"]
        properties["node_selector"] = ["type": "object", "additionalProperties": ["type": "string"]]
        properties["timeout_seconds"] = Schema.integer
        properties["attempts"] = Schema.array(AttemptJSON.schema)
        properties["events"] = Schema.array(EventJSON.schema)
        properties["metrics"] = Schema.array(MetricJSON.schema)
        properties["artifacts"] = Schema.array(ArtifactJSON.schema)
        return Schema.object(properties, required: properties.keys.filter { !JobJSON.optional.contains($0) }.sorted())
    }()
}

/// One attempt on one node.
struct AttemptJSON: Encodable {
    var attempt: Int
    var nodeRank: Int
    var agentID: UUID
    var agentRegion: String
    var state: String
    var exitCode: Int?
    var message: String
    var cpuSeconds: Double?
    var peakMemoryBytes: Int64?
    var wallSeconds: Double?
    var assignedAt: Date
    var startedAt: Date?
    var finishedAt: Date?

    enum CodingKeys: String, CodingKey {
        case attempt, state, message
        case nodeRank = "node_rank", agentID = "agent_id", agentRegion = "agent_region", exitCode = "exit_code", cpuSeconds = "cpu_seconds"
        case peakMemoryBytes = "peak_memory_bytes", wallSeconds = "wall_seconds", assignedAt = "assigned_at", startedAt = "started_at"
        case finishedAt = "finished_at"
    }

    init(_ attempt: JobAttemptSummary) {
        self.attempt = attempt.attempt
        nodeRank = attempt.nodeRank
        agentID = attempt.agentID
        agentRegion = attempt.agentRegion
        state = attempt.state
        exitCode = attempt.exitCode
        message = attempt.message
        cpuSeconds = attempt.cpuSeconds
        peakMemoryBytes = attempt.peakMemoryBytes
        wallSeconds = attempt.wallSeconds
        assignedAt = attempt.assignedAt
        startedAt = attempt.startedAt
        finishedAt = attempt.finishedAt
    }

    static let schema = Schema.object(
        [
            "attempt": Schema.integer, "node_rank": Schema.integer, "agent_id": Schema.uuid, "agent_region": Schema.string(), "state": Schema.string(),
            "exit_code": ["type": ["integer", "null"]], "message": Schema.string(), "cpu_seconds": ["type": ["number", "null"]],
            "peak_memory_bytes": ["type": ["integer", "null"]], "wall_seconds": ["type": ["number", "null"]], "assigned_at": Schema.dateTime,
            "started_at": Schema.optionalDateTime, "finished_at": Schema.optionalDateTime,
        ],
        required: ["attempt", "node_rank", "agent_id", "agent_region", "state", "message", "assigned_at"]
    )
}

/// A status, progress or metric event.
struct EventJSON: Encodable {
    var attempt: Int
    var nodeRank: Int
    var kind: String
    var name: String?
    var step: Int?
    var value: Double?
    var message: String?
    var time: Date

    enum CodingKeys: String, CodingKey {
        case attempt, kind, name, step, value, message, time
        case nodeRank = "node_rank"
    }

    init(_ record: JobEventRecord) {
        attempt = record.attempt
        nodeRank = record.nodeRank
        kind = record.report.kind.rawValue
        name = record.report.name
        step = record.report.step
        value = record.report.value
        message = record.report.message
        time = record.report.time
    }

    static let schema = Schema.object(
        [
            "attempt": Schema.integer, "node_rank": Schema.integer, "kind": ["type": "string", "enum": ["started", "status", "progress", "metric"]],
            "name": Schema.string(), "step": Schema.integer, "value": ["type": "number"], "message": Schema.string(), "time": Schema.dateTime,
        ],
        required: ["attempt", "node_rank", "kind", "time"]
    )
}

/// The last reported value of one metric.
struct MetricJSON: Encodable {
    var name: String
    var step: Int?
    var value: Double
    var time: Date

    init(_ metric: JobMetrics.Latest) {
        name = metric.name
        step = metric.step
        value = metric.value
        time = metric.time
    }

    static let schema = Schema.object(
        ["name": Schema.string(), "step": Schema.integer, "value": ["type": "number"], "time": Schema.dateTime],
        required: ["name", "value", "time"]
    )
}

/// A stored artifact with its download path.
struct ArtifactJSON: Encodable {
    var attempt: Int
    var path: String
    var sizeBytes: Int64
    var sha256: String
    var createdAt: Date
    var downloadURL: String

    enum CodingKeys: String, CodingKey {
        case attempt, path, sha256
        case sizeBytes = "size_bytes", createdAt = "created_at", downloadURL = "download_url"
    }

    init(_ artifact: JobArtifact, job: UUID) {
        attempt = artifact.attempt
        path = artifact.path
        sizeBytes = artifact.sizeBytes
        sha256 = artifact.sha256
        createdAt = artifact.createdAt
        downloadURL = JobsAPI.artifactPath(job: job, path: artifact.path)
    }

    static let schema = Schema.object([
        "attempt": Schema.integer, "path": Schema.string(), "size_bytes": Schema.integer, "sha256": Schema.string("Lowercase hex"),
        "created_at": Schema.dateTime, "download_url": Schema.string("The API path that downloads it"),
    ])
}

/// Metric series out of a job's events.
enum JobMetrics {
    /// One metric's last value.
    struct Latest {
        var name: String
        var step: Int?
        var value: Double
        var time: Date
    }

    /// The points of one metric, oldest first: (step or index, value).
    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
    }

    /// The last value per metric name, sorted by name.
    static func latest(_ events: [JobEventRecord]) -> [Latest] {
        var latest: [String: Latest] = [:]
        for record in events {
            let report = record.report
            guard report.kind == .metric, let name = report.name, let value = report.value, value.isFinite else { continue }
            latest[name] = Latest(name: name, step: report.step, value: value, time: report.time)
        }
        return latest.values.sorted { $0.name < $1.name }
    }

    /// Every metric's points, sorted by name (x is the step when reported, else the point's index).
    static func series(_ events: [JobEventRecord]) -> [Series] {
        var points: [String: [(x: Double, y: Double)]] = [:]
        for record in events {
            let report = record.report
            guard report.kind == .metric, let name = report.name, let value = report.value, value.isFinite else { continue }
            let x = report.step.map(Double.init) ?? Double(points[name]?.count ?? 0)
            points[name, default: []].append((x, value))
        }
        return points.keys.sorted().map { Series(name: $0, points: points[$0]!) }
    }
}
