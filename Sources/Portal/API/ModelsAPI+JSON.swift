import Foundation
import Platform

/// `POST /api/v1/projects/:project/models`.
struct CreateModelRequest: Decodable {
    var name: String
    var description: String?
    var gates: PromotionGates?

    static let schema = Schema.object(
        ["name": Schema.string("2–60 lower-case letters, digits, hyphens and underscores"), "description": Schema.string(), "gates": gatesSchema],
        required: ["name"]
    )

    static let gatesSchema = Schema.object([
        "metrics": Schema.array(
            Schema.object(
                [
                    "metric": Schema.string(), "min": ["type": "number"], "max": ["type": "number"],
                    "max_regression": ["type": "number", "description": "How much worse than the alias `against` (default champion) it may be"],
                    "against": Schema.string(),
                ],
                required: ["metric"]
            )),
        "require_approval": ["type": "boolean", "description": "A member with models.approve other than the requester must approve"],
        "compliance": ["type": "boolean", "description": "Run the compliance checks (lineage, training residency); default true"],
    ])
}

/// `POST /api/v1/projects/:project/models/:model/versions`.
struct RegisterVersionRequest: Decodable {
    var run: Int
    var artifact: String?
    var description: String?
    var signature: ModelSignature?

    static let schema = Schema.object(
        [
            "run": ["type": "integer", "description": "The run's number"],
            "artifact": Schema.string("The artifact holding the model (default model.falaj, what built-in runs write)"),
            "description": Schema.string(),
            "signature": Schema.object(
                [
                    "inputs": Schema.array(Schema.object(["name": Schema.string(), "type": Schema.string("int, float, bool, string, timestamp or category")])),
                    "output": Schema.object(["type": Schema.string("class, number or tensor"), "classes": Schema.array(Schema.string())], required: ["type"]),
                ],
                required: ["inputs", "output"]
            ),
        ],
        required: ["run"]
    )
}

/// `POST …/promotions`.
struct PromoteRequest: Decodable {
    var version: Int
    var alias: String
    var reason: String?

    static let schema = Schema.object(
        ["version": Schema.integer, "alias": Schema.string("e.g. champion, challenger"), "reason": Schema.string()], required: ["version", "alias"])
}

/// `POST …/promotions/:promotion/approve|reject`.
struct ReviewRequest: Decodable {
    var reason: String?

    static let schema = Schema.object(["reason": Schema.string()])
}

/// A registered model as the API shows it.
struct ModelJSON: Encodable {
    var id: UUID
    var name: String
    var description: String
    var gates: PromotionGates
    var latestVersion: Int?
    var aliases: [String: Int]
    var createdBy: String
    var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name, description, gates, aliases
        case latestVersion = "latest_version", createdBy = "created_by", createdAt = "created_at"
    }

    init(_ model: RegisteredModel) {
        (id, name, description, gates, latestVersion) = (model.id, model.name, model.description, model.gates, model.latestVersion)
        (aliases, createdBy, createdAt) = (model.aliases, model.createdBy, model.createdAt)
    }

    static let schema = Schema.object([
        "id": Schema.uuid, "name": Schema.string(), "description": Schema.string(), "gates": CreateModelRequest.gatesSchema,
        "latest_version": ["type": ["integer", "null"]], "aliases": ["type": "object", "additionalProperties": ["type": "integer"]],
        "created_by": Schema.string(), "created_at": Schema.dateTime,
    ])
}

/// A model version as the API shows it.
struct ModelVersionJSON: Encodable {
    var version: Int
    var run: UUID?
    var fileName: String
    var sizeBytes: Int64
    var sha256: String
    var format: String
    var signature: ModelSignature?
    var metrics: [String: Double]
    var lineage: ModelLineage
    var description: String
    var registeredBy: String
    var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case version, run, sha256, format, signature, metrics, lineage, description
        case fileName = "file_name", sizeBytes = "size_bytes", registeredBy = "registered_by", createdAt = "created_at"
    }

    init(_ version: ModelVersion) {
        (self.version, run, fileName, sizeBytes, sha256, format) = (version.version, version.runID, version.fileName, version.sizeBytes, version.sha256, version.format)
        (signature, metrics, lineage, description) = (version.signature, version.metrics, version.lineage, version.description)
        (registeredBy, createdAt) = (version.registeredBy, version.createdAt)
    }

    static let schema = Schema.object([
        "version": Schema.integer, "run": Schema.uuid, "file_name": Schema.string(), "size_bytes": Schema.integer, "sha256": Schema.string(),
        "format": ["type": "string", "enum": ["falaj-model", "custom"]], "signature": ["type": ["object", "null"]], "metrics": ["type": "object"],
        "lineage": ["type": "object", "description": "run (id, number, experiment, job, artifact), datasets, code, params"],
        "description": Schema.string(), "registered_by": Schema.string(), "created_at": Schema.dateTime,
    ])
}

/// A promotion request as the API shows it.
struct PromotionJSON: Encodable {
    var id: UUID
    var version: Int
    var alias: String
    var state: String
    var previousVersion: Int?
    var gates: [GateResult]
    var reason: String
    var requestedBy: String
    var decidedBy: String?
    var createdAt: Date
    var decidedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, version, alias, state, gates, reason
        case previousVersion = "previous_version", requestedBy = "requested_by", decidedBy = "decided_by", createdAt = "created_at", decidedAt = "decided_at"
    }

    init(_ promotion: Promotion) {
        (id, version, alias, state, previousVersion) = (promotion.id, promotion.version, promotion.alias, promotion.state.rawValue, promotion.previousVersion)
        (gates, reason, requestedBy, decidedBy) = (promotion.gateResults, promotion.reason, promotion.requestedBy, promotion.decidedBy)
        (createdAt, decidedAt) = (promotion.createdAt, promotion.decidedAt)
    }

    static let schema = Schema.object([
        "id": Schema.uuid, "version": Schema.integer, "alias": Schema.string(),
        "state": ["type": "string", "enum": ["pending", "applied", "blocked", "rejected", "superseded"]], "previous_version": ["type": ["integer", "null"]],
        "gates": Schema.array(Schema.object(["gate": Schema.string(), "passed": Schema.boolean, "detail": Schema.string()])),
        "reason": Schema.string(), "requested_by": Schema.string(), "decided_by": ["type": ["string", "null"]],
        "created_at": Schema.dateTime, "decided_at": Schema.optionalDateTime,
    ])
}

/// A model with its versions and promotions.
struct ModelDetailJSON: Encodable {
    var model: ModelJSON
    var versions: [ModelVersionJSON]
    var promotions: [PromotionJSON]

    static let schema = Schema.object([
        "model": ModelJSON.schema, "versions": Schema.array(ModelVersionJSON.schema), "promotions": Schema.array(PromotionJSON.schema),
    ])
}
