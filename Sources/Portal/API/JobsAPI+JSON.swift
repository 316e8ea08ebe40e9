import AgentProtocol
import ComputeAgents
import Foundation

/// `POST /api/v1/jobs`.
struct SubmitJobRequest: Decodable {
    var kind: String
    var name: String?
    var spec: JSONValue?
    var resources: ResourcesJSON?
    var nodeSelector: [String: String]?
    var priority: Int?
    var maxAttempts: Int?
    var timeoutSeconds: Int?
    var region: String?

    enum CodingKeys: String, CodingKey {
        case kind, name, spec, resources, priority, region
        case nodeSelector = "node_selector", maxAttempts = "max_attempts", timeoutSeconds = "timeout_seconds"
    }

    /// The domain's submission; `spec` must be a JSON object (absent = `{}`).
    func submission() throws -> JobSubmission {
        let spec = spec ?? .object([:])
        guard case .object = spec else { throw ComputeAgentsError.invalid(field: "spec", "'spec' must be a JSON object") }
        let defaults = JobSubmission(kind: kind)
        let region = region?.trimmingCharacters(in: .whitespaces)
        return JobSubmission(
            kind: kind, name: name ?? "", specJSON: String(decoding: try JobsJSON.encoder.encode(spec), as: UTF8.self),
            resources: resources?.request ?? ResourceRequest(), nodeSelector: nodeSelector ?? [:], priority: priority ?? defaults.priority,
            maxAttempts: maxAttempts ?? defaults.maxAttempts, timeoutSeconds: timeoutSeconds ?? defaults.timeoutSeconds,
            region: region?.isEmpty == false ? region : nil
        )
    }

    static let schema = Schema.object(
        [
            "kind": Schema.string("train.command, train.builtin, serve.replica, drift.check, …"), "name": Schema.string(),
            "spec": ["type": "object", "description": "For train.command: {\"command\": [\"python\", \"train.py\"], \"environment\": {}}"],
            "resources": ResourcesJSON.schema, "node_selector": ["type": "object", "additionalProperties": ["type": "string"]],
            "priority": ["type": "integer", "minimum": -100, "maximum": 100], "max_attempts": ["type": "integer", "minimum": 1, "maximum": 20],
            "timeout_seconds": ["type": "integer", "minimum": 1, "maximum": 604_800],
            "region": Schema.string("Run only in this region (the residency policy must allow it); omit for any allowed region"),
        ],
        required: ["kind"]
    )
}

/// A resource request: per node, plus the number of nodes.
struct ResourcesJSON: Codable {
    var cpuMillis: Int?
    var memoryBytes: Int64?
    var gpus: Int?
    var gpuType: String?
    var nodes: Int?

    enum CodingKeys: String, CodingKey {
        case gpus, nodes
        case cpuMillis = "cpu_millis", memoryBytes = "memory_bytes", gpuType = "gpu_type"
    }

    init(_ request: ResourceRequest) {
        cpuMillis = request.cpuMillis
        memoryBytes = request.memoryBytes
        gpus = request.gpus
        gpuType = request.gpuType
        nodes = request.nodes
    }

    /// The domain's request; absent members take ``ResourceRequest``'s defaults (1 core, 512 MiB, no GPU, 1 node).
    var request: ResourceRequest {
        let defaults = ResourceRequest()
        return ResourceRequest(
            cpuMillis: cpuMillis ?? defaults.cpuMillis, memoryBytes: memoryBytes ?? defaults.memoryBytes, gpus: gpus ?? defaults.gpus,
            gpuType: gpuType, nodes: nodes ?? defaults.nodes
        )
    }

    static let schema = Schema.object(
        [
            "cpu_millis": ["type": "integer", "description": "Thousandths of a core per node (1000 = one core); default 1000"],
            "memory_bytes": ["type": "integer", "description": "Bytes per node; default 512 MiB"],
            "gpus": ["type": "integer", "description": "Whole GPUs per node; default 0"],
            "gpu_type": ["type": ["string", "null"], "description": "A GPU model such as H100, matched as a substring"],
            "nodes": ["type": "integer", "description": "Nodes of a gang; default 1"],
        ],
        required: []
    )
}

/// A job as lists show it.
struct JobJSON: Encodable {
    var id: UUID
    var kind: String
    var name: String
    var state: String
    var resources: ResourcesJSON
    var priority: Int
    var attempt: Int
    var maxAttempts: Int
    var allowedRegions: [String]
    var placementNote: String
    var message: String
    var exitCode: Int?
    var submittedBy: String
    var createdAt: Date
    var startedAt: Date?
    var finishedAt: Date?
    var isCancelRequested: Bool

    enum CodingKeys: String, CodingKey {
        case id, kind, name, state, resources, priority, attempt, message
        case maxAttempts = "max_attempts", allowedRegions = "allowed_regions", placementNote = "placement_note", exitCode = "exit_code"
        case submittedBy = "submitted_by", createdAt = "created_at", startedAt = "started_at", finishedAt = "finished_at"
        case isCancelRequested = "cancel_requested"
    }

    init(_ job: JobSummary) {
        id = job.id
        kind = job.kind
        name = job.name
        state = job.state.rawValue
        resources = ResourcesJSON(job.resources)
        priority = job.priority
        attempt = job.attempt
        maxAttempts = job.maxAttempts
        allowedRegions = job.allowedRegions
        placementNote = job.placementNote
        message = job.message
        exitCode = job.exitCode
        submittedBy = job.submittedBy
        createdAt = job.createdAt
        startedAt = job.startedAt
        finishedAt = job.finishedAt
        isCancelRequested = job.isCancelRequested
    }

    static let properties: [String: JSONValue] = [
        "id": Schema.uuid, "kind": Schema.string(), "name": Schema.string(),
        "state": ["type": "string", "enum": .array(JobState.allCases.map { .string($0.rawValue) })], "resources": ResourcesJSON.schema,
        "priority": Schema.integer, "attempt": Schema.integer, "max_attempts": Schema.integer, "allowed_regions": Schema.array(Schema.string()),
        "placement_note": Schema.string("Why it waits, or how the last attempt ended"), "message": Schema.string(),
        "exit_code": ["type": ["integer", "null"]], "submitted_by": Schema.string(), "created_at": Schema.dateTime,
        "started_at": Schema.optionalDateTime, "finished_at": Schema.optionalDateTime, "cancel_requested": Schema.boolean,
    ]
    static let optional = ["exit_code", "started_at", "finished_at"]
    static let schema = Schema.object(properties, required: properties.keys.filter { !optional.contains($0) }.sorted())
}

/// Shared encoding of job documents.
enum JobsJSON {
    /// Sorted keys, unescaped slashes: how a spec is stored and echoed.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Domain field names (camelCase where the job queue uses them) → the API's snake_case names.
    static func apiFieldErrors(_ error: ComputeAgentsError) -> ComputeAgentsError {
        guard case .invalidFields(let fields) = error else { return error }
        return .invalidFields(Dictionary(fields.map { (snakeCase($0.key), $0.value) }, uniquingKeysWith: { first, _ in first }))
    }

    /// `resources.cpuMillis` → `resources.cpu_millis`.
    static func snakeCase(_ name: String) -> String {
        var result = ""
        for character in name {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }
}

extension JSONValue: Decodable {
    /// Decodes any JSON value (request bodies that carry free-form objects, such as a job's spec).
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}
