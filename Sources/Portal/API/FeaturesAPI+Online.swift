import Foundation
import HTTPTypes
import Platform
import Tabular
import WebServer

/// `POST /api/v1/features/online`.
struct OnlineReadRequest: Decodable {
    var project: String
    var entityRows: [[String: ScalarJSON]]
    var features: [String]?
    var featureService: String?

    enum CodingKeys: String, CodingKey {
        case project, features
        case entityRows = "entity_rows", featureService = "feature_service"
    }

    var request: FeatureStore.OnlineRequest {
        FeatureStore.OnlineRequest(project: project, entityRows: ScalarJSON.rows(entityRows), features: features ?? [], featureService: featureService)
    }

    /// The read a body asks for: plain bodies through ``JSONInput`` (the common case, several times cheaper), any
    /// other through `JSONDecoder`, which also words every error.
    /// - Throws: ``APIRequestError`` 400 naming the field.
    static func decode(_ bytes: [UInt8]) throws -> FeatureStore.OnlineRequest {
        if case .object(let body)? = JSONInput.parse(bytes), let request = read(body) { return request }
        return try APIBody.decode(OnlineReadRequest.self, from: bytes).request
    }

    /// The read from a parsed body, or nil when a member is missing or of another type than `JSONDecoder` would take.
    private static func read(_ body: [String: JSONInput]) -> FeatureStore.OnlineRequest? {
        guard case .string(let project)? = body["project"], case .array(let rows)? = body["entity_rows"] else { return nil }
        var entityRows: [[String: JSONScalar]] = []
        entityRows.reserveCapacity(rows.count)
        for row in rows {
            guard case .object(let members) = row else { return nil }
            var keys: [String: JSONScalar] = [:]
            for (name, member) in members {
                switch member {
                case .string(let text): keys[name] = .string(text)
                case .integer(let number): keys[name] = .number(String(number))
                case .bool(let flag): keys[name] = .bool(flag)
                case .null: keys[name] = .null
                case .array, .object: return nil
                }
            }
            entityRows.append(keys)
        }
        var features: [String] = []
        switch body["features"] {
        case nil, .null?: break
        case .array(let names)?:
            for name in names {
                guard case .string(let text) = name else { return nil }
                features.append(text)
            }
        default: return nil
        }
        var service: String?
        switch body["feature_service"] {
        case nil, .null?: break
        case .string(let text)?: service = text
        default: return nil
        }
        return FeatureStore.OnlineRequest(project: project, entityRows: entityRows, features: features, featureService: service)
    }

    static let schema = Schema.object(
        [
            "project": Schema.string("The project's URL name"),
            "entity_rows": Schema.array(["type": "object", "description": "Join key → key, e.g. {\"customer_id\": \"c1\"}"]),
            "features": Schema.array(Schema.string("group:feature, or group:* for all of a group's features")),
            "feature_service": Schema.string("A feature service whose list to read instead of `features`"),
        ],
        required: ["project", "entity_rows"]
    )
}

/// The answer to an online read, one result per entity row in request order.
///
/// Written with ``JSONOutput`` rather than `JSONEncoder` (this is the API's hottest answer): the same sorted keys and
/// formats as every other API answer, at a fraction of the cost.
struct OnlineReadResponse {
    var features: [String]
    var rows: [[String: JSONScalar]]
    var results: [FeatureStore.OnlineResult]

    /// The answer as `application/json` with `Cache-Control: no-store`, as ``APIResponse/json(_:status:isConvertingKeysToSnakeCase:)``.
    func response() -> Response {
        var response = Response.json(bytes())
        response.headerFields[.cacheControl] = "no-store"
        return response
    }

    /// The JSON text.
    func bytes() -> [UInt8] {
        var json = JSONOutput(capacity: 64 + results.count * (48 + features.count * 96))
        json.beginObject()
        json.key("features")
        json.beginArray()
        for feature in features { json.string(feature) }
        json.endArray()
        json.key("results")
        json.beginArray()
        for (row, result) in zip(rows, results) {
            json.beginObject()
            json.key("entity")
            json.beginObject()
            for (name, scalar) in Self.sorted(row) {
                json.key(name)
                switch scalar {
                case .string(let text), .number(let text): json.string(text)
                case .bool(let flag): json.string(flag ? "true" : "false")
                case .null: json.string("")
                }
            }
            json.endObject()
            json.key("found")
            json.bool(result.isFound)
            json.key("values")
            json.beginObject()
            for (reference, value) in Self.sorted(result.values) {
                json.key(reference)
                json.beginObject()
                json.key("event_time")
                json.date(value.eventTime)
                json.key("status")
                json.string(value.status.rawValue)
                json.key("value")
                Self.write(value.value, to: &json)
                json.endObject()
            }
            json.endObject()
            json.endObject()
        }
        json.endArray()
        json.endObject()
        return json.bytes
    }

    /// A dictionary's entries in the order the API's encoder sorts keys (by UTF-8 bytes).
    private static func sorted<Value>(_ dictionary: [String: Value]) -> [(key: String, value: Value)] {
        dictionary.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }

    /// A typed value as ``TabularValueJSON`` encodes it.
    private static func write(_ value: TabularValue, to json: inout JSONOutput) {
        switch value {
        case .null: json.null()
        case .int(let number): json.number(number)
        case .float(let number): json.number(number)
        case .bool(let flag): json.bool(flag)
        case .string(let text): json.string(text)
        case .timestamp(let microseconds): json.string(TimestampText.format(microseconds: microseconds))
        }
    }

    static let schema = Schema.object([
        "features": Schema.array(Schema.string()),
        "results": Schema.array(
            Schema.object([
                "entity": ["type": "object"], "found": Schema.boolean,
                "values": [
                    "type": "object",
                    "additionalProperties": Schema.object([
                        "value": ["description": "The value (number, string, boolean, RFC 3339 timestamp or null)"], "event_time": Schema.optionalDateTime,
                        "status": ["type": "string", "enum": ["present", "missing", "expired"]],
                    ]),
                ],
            ])
        ),
    ])
}
