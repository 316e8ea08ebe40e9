import ComputeAgents
import Foundation
import Learning
import Platform

/// `POST /api/v1/projects/:project/deployments`.
struct CreateDeploymentRequest: Decodable {
    struct Variant: Decodable {
        var name: String
        var model: String
        var version: Int?
        var alias: String?
        var weight: Int
        var replicas: Int?
        var cpuMillis: Int?
        var shadow: Bool?

        enum CodingKeys: String, CodingKey {
            case name, model, version, alias, weight, replicas, shadow
            case cpuMillis = "cpu_millis"
        }
    }

    var name: String
    var description: String?
    var variants: [Variant]

    var form: DeploymentForm {
        DeploymentForm(
            name: name, description: description ?? "",
            variants: variants.map {
                VariantForm(
                    name: $0.name, model: $0.model, version: $0.version, alias: $0.alias, weight: $0.weight, replicas: $0.replicas ?? 1,
                    cpuMillis: $0.cpuMillis ?? 500, shadow: $0.shadow ?? false)
            })
    }

    static let schema = Schema.object(
        [
            "name": Schema.string("The endpoint's name (/v1/predict/<name>), unique in the organisation"), "description": Schema.string(),
            "variants": Schema.array(
                Schema.object(
                    [
                        "name": Schema.string(), "model": Schema.string("A registered model of the project"), "version": Schema.integer,
                        "alias": Schema.string("Instead of a version, e.g. champion"), "weight": Schema.integer, "replicas": Schema.integer,
                        "cpu_millis": ["type": "integer", "description": "CPU per replica in thousandths of a core (default 500)"],
                        "shadow": ["type": "boolean", "description": "Weight 0; gets a copy of every request, answers logged, never returned"],
                    ],
                    required: ["name", "model", "weight"])),
        ],
        required: ["name", "variants"]
    )
}

/// A deployment as the API shows it.
struct DeploymentJSON: Encodable {
    struct Replica: Encodable {
        var job: UUID
        var state: String
        var url: String?
        var serving: Bool
        var version: Int
        var role: String
    }

    struct Variant: Encodable {
        var name: String
        var model: String
        var version: Int
        var weight: Int
        var replicas: [Replica]
        var rolloutVersion: Int?
        var shadow: Bool

        enum CodingKeys: String, CodingKey {
            case name, model, version, weight, replicas, shadow
            case rolloutVersion = "rollout_version"
        }
    }

    var name: String
    var project: String
    var description: String
    var state: String
    var variants: [Variant]
    var endpoint: String
    var payloadSamplePercent: Double

    enum CodingKeys: String, CodingKey {
        case name, project, description, state, variants, endpoint
        case payloadSamplePercent = "payload_sample_percent"
    }

    init(_ deployment: Deployment) {
        (name, project, description, state) = (deployment.name, deployment.project, deployment.description, deployment.state)
        endpoint = "/v1/predict/\(deployment.name)"
        payloadSamplePercent = deployment.payloadSamplePercent
        variants = deployment.variants.map { variant in
            Variant(
                name: variant.name, model: variant.model, version: variant.version, weight: variant.weight,
                replicas: variant.replicas.map {
                    Replica(job: $0.jobID, state: $0.state.rawValue, url: $0.url, serving: $0.isServing, version: $0.version, role: $0.role)
                }, rolloutVersion: variant.rolloutVersion, shadow: variant.isShadow)
        }
    }

    static let schema = Schema.object([
        "name": Schema.string(), "project": Schema.string(), "description": Schema.string(), "state": ["type": "string", "enum": ["active", "stopped"]],
        "endpoint": Schema.string(), "payload_sample_percent": ["type": "number", "description": "share of requests whose payloads are stored"],
        "variants": Schema.array(
            Schema.object([
                "name": Schema.string(), "model": Schema.string(), "version": Schema.integer, "weight": Schema.integer,
                "rollout_version": ["type": ["integer", "null"], "description": "the version a rollout is starting, if one runs"],
                "shadow": Schema.boolean,
                "replicas": Schema.array(Schema.object([
                    "job": Schema.uuid, "state": Schema.string(), "url": ["type": ["string", "null"]], "serving": Schema.boolean, "version": Schema.integer,
                    "role": ["type": "string", "enum": ["current", "rollout", "retired"]],
                ])),
            ])),
    ])
}

/// `POST /v1/feedback/:request_id`.
struct FeedbackRequest: Decodable {
    var label: String?
    var value: Double?
}

/// A deployment's A/B results as the API shows them.
struct DeploymentResultsJSON: Encodable {
    struct Variant: Encodable {
        var name: String
        var version: Int
        var weight: Int
        var requests: Int
        var errors: Int
        var p50Ms: Double?
        var p99Ms: Double?
        var labelled: Int
        var accuracy: Double?
        var outcomes: Int
        var outcomeMean: Double?

        enum CodingKeys: String, CodingKey {
            case name, version, weight, requests, errors, labelled, accuracy, outcomes
            case p50Ms = "p50_ms", p99Ms = "p99_ms", outcomeMean = "outcome_mean"
        }
    }

    struct Comparison: Encodable {
        var variant: String
        var control: String
        var accuracy: SignificanceTests.Comparison?
        var outcome: SignificanceTests.Comparison?
        var labelsNeeded: Int?

        enum CodingKeys: String, CodingKey {
            case variant, control, accuracy, outcome
            case labelsNeeded = "labels_needed"
        }
    }

    var variants: [Variant]
    var comparisons: [Comparison]

    init(_ results: DeploymentResults) {
        variants = results.variants.map {
            Variant(
                name: $0.name, version: $0.version, weight: $0.weight, requests: $0.requests, errors: $0.errors, p50Ms: $0.p50Milliseconds,
                p99Ms: $0.p99Milliseconds, labelled: $0.labelled, accuracy: $0.accuracy, outcomes: $0.outcomes, outcomeMean: $0.outcomeMean)
        }
        comparisons = results.comparisons.map {
            Comparison(variant: $0.variant, control: $0.control, accuracy: $0.accuracy, outcome: $0.outcome, labelsNeeded: $0.labelsNeeded)
        }
    }

    static let schema = Schema.object([
        "variants": Schema.array(Schema.object([
            "name": Schema.string(), "version": Schema.integer, "weight": Schema.integer, "requests": Schema.integer, "errors": Schema.integer,
            "p50_ms": ["type": ["number", "null"]], "p99_ms": ["type": ["number", "null"]], "labelled": Schema.integer,
            "accuracy": ["type": ["number", "null"]], "outcomes": Schema.integer, "outcome_mean": ["type": ["number", "null"]],
        ])),
        "comparisons": Schema.array(Schema.object([
            "variant": Schema.string(), "control": Schema.string(),
            "accuracy": ["type": ["object", "null"], "description": "difference, lower, upper, statistic, p_value"],
            "outcome": ["type": ["object", "null"], "description": "difference, lower, upper, statistic, p_value, degrees_of_freedom"],
            "labels_needed": ["type": ["integer", "null"]],
        ])),
    ])
}

/// `PUT /api/v1/deployments/:deployment/traffic`.
struct TrafficRequest: Decodable {
    var weights: [String: Int]
    var reason: String?

    static let schema = Schema.object(
        ["weights": ["type": "object", "additionalProperties": ["type": "integer"]], "reason": Schema.string()], required: ["weights"])
}

/// One traffic revision.
struct RevisionJSON: Encodable {
    var revision: Int
    var weights: [String: Int]
    var reason: String
    var createdBy: String
    var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case revision, weights, reason
        case createdBy = "created_by", createdAt = "created_at"
    }

    init(_ revision: DeploymentRevision) {
        (self.revision, weights, reason, createdBy, createdAt) = (revision.revision, revision.weights, revision.reason, revision.createdBy, revision.createdAt)
    }

    static let schema = Schema.object([
        "revision": Schema.integer, "weights": ["type": "object"], "reason": Schema.string(), "created_by": Schema.string(), "created_at": Schema.dateTime,
    ])
}
