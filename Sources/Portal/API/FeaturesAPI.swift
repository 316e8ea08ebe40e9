import Foundation
import HTTPTypes
import Platform
import Tabular
import Tenancy
import WebServer

/// The feature store's API: entities and feature groups under a project, pushes by group id, online reads.
enum FeaturesAPI {
    static func add(to routes: inout PortalRoutes, environment: PortalEnvironment) {
        routes.add(
            .post, "/api/v1/projects/:project/entities", access: .permission(.dataWrite),
            documentation: APIDocumentation(
                summary: "Creates an entity (what features describe, e.g. customer keyed by customer_id)", requestSchema: CreateEntityRequest.schema,
                responseSchema: EntityJSON.schema, successStatus: 201
            )
        ) { request in
            let body: CreateEntityRequest = try await request.decodeJSON()
            let (platform, project, context) = (try environment.requirePlatform(), try request.segment("project"), try request.requireContext())
            guard let form = try? body.form() else {
                _ = try await platform.projects.get(project, context: context)  // an unknown project is a 404 before any field error
                throw PlatformError.invalid(field: "key_type", "Use key_type string or int")
            }
            let entity = try await platform.entities.create(form, project: project, context: context)
            return try APIResponse.json(EntityJSON(entity), status: .created)
        }

        routes.get(
            "/api/v1/projects/:project/entities", access: .permission(.dataRead),
            documentation: APIDocumentation(summary: "The project's entities", responseSchema: ItemsJSON<EntityJSON>.schema(EntityJSON.schema))
        ) { request in
            let entities = try await environment.requirePlatform().entities.list(project: try request.segment("project"), context: try request.requireContext())
            return try APIResponse.json(ItemsJSON(items: entities.map(EntityJSON.init)))
        }

        routes.add(
            .post, "/api/v1/projects/:project/feature-groups", access: .permission(.dataWrite),
            documentation: APIDocumentation(
                summary: "Creates a feature group (version 1 of its schema) for an entity of the project", requestSchema: CreateFeatureGroupRequest.schema,
                responseSchema: FeatureGroupJSON.schema, successStatus: 201
            )
        ) { request in
            let body: CreateFeatureGroupRequest = try await request.decodeJSON()
            let group = try await environment.requirePlatform().featureGroups.create(
                try body.form(), project: try request.segment("project"), context: try request.requireContext()
            )
            return try APIResponse.json(FeatureGroupJSON(group), status: .created)
        }

        routes.get(
            "/api/v1/projects/:project/feature-groups", access: .permission(.dataRead),
            documentation: APIDocumentation(
                summary: "The catalog: the project's feature groups, filtered by `?q=` (name, description, owner, tag or feature name), `?tag=`, "
                    + "`?owner=`, `?pii=none|personal|sensitive`",
                responseSchema: ItemsJSON<FeatureGroupJSON>.schema(FeatureGroupJSON.schema)
            )
        ) { request in
            let groups = try await environment.requirePlatform().featureGroups.list(
                project: try request.segment("project"), search: try search(request), context: try request.requireContext()
            )
            return try APIResponse.json(ItemsJSON(items: groups.map(FeatureGroupJSON.init)))
        }

        routes.get(
            "/api/v1/projects/:project/feature-groups/:group", access: .permission(.dataRead),
            documentation: APIDocumentation(summary: "A feature group with its versions and freshness", responseSchema: FeatureGroupDetailJSON.schema)
        ) { request in
            let detail = try await environment.requirePlatform().featureGroups.get(
                try request.segment("group"), project: try request.segment("project"), context: try request.requireContext()
            )
            return try APIResponse.json(FeatureGroupDetailJSON(detail))
        }

        routes.add(
            .patch, "/api/v1/projects/:project/feature-groups/:group", access: .permission(.dataWrite),
            documentation: APIDocumentation(
                summary: "Changes catalog metadata (description, owner, tags, source, TTL); audited. A schema change is a new version instead",
                requestSchema: UpdateFeatureGroupRequest.schema, responseSchema: FeatureGroupJSON.schema
            )
        ) { request in
            let body: UpdateFeatureGroupRequest = try await request.decodeJSON()
            let group = try await environment.requirePlatform().featureGroups.updateCatalog(
                try request.segment("group"), project: try request.segment("project"), changes: body.change, context: try request.requireContext()
            )
            return try APIResponse.json(FeatureGroupJSON(group))
        }

        routes.add(
            .post, "/api/v1/projects/:project/feature-groups/:group/versions", access: .permission(.dataWrite),
            documentation: APIDocumentation(
                summary: "Adds a version with a new feature list (a schema change); earlier versions stay readable",
                requestSchema: AddFeatureGroupVersionRequest.schema, responseSchema: FeatureGroupJSON.schema, successStatus: 201
            )
        ) { request in
            let body: AddFeatureGroupVersionRequest = try await request.decodeJSON()
            let group = try await environment.requirePlatform().featureGroups.addVersion(
                try FeatureJSON.definitions(body.features), to: try request.segment("group"), project: try request.segment("project"),
                context: try request.requireContext()
            )
            return try APIResponse.json(FeatureGroupJSON(group), status: .created)
        }

        routes.add(
            .post, "/api/v1/feature-groups/:id/push", access: .permission(.dataWrite),
            documentation: APIDocumentation(
                summary: "Writes rows to the offline and online stores in one transaction (up to 10,000); an `Idempotency-Key` header makes a "
                    + "retry safe: the same push is answered without writing again, a different one under the key is refused with 409",
                requestSchema: PushRequest.schema, responseSchema: PushReceiptJSON.schema
            ),
            maxBodySize: 32 << 20
        ) { request in
            let body: PushRequest = try await request.decodeJSON(maximumSize: 32 << 20)
            let receipt = try await environment.requirePlatform().featureStore.push(
                ScalarJSON.rows(body.rows), to: try request.pathID(notFound: "No such feature group"),
                idempotencyKey: request.headerFields[HTTPField.Name("Idempotency-Key")!], context: try request.requireContext()
            )
            return try APIResponse.json(
                PushReceiptJSON(version: receipt.version, rows: receipt.rowCount, onlineUpdates: receipt.onlineUpdates, replayed: receipt.isReplay)
            )
        }

        routes.post(
            "/api/v1/features/online", access: .permission(.dataRead),
            documentation: APIDocumentation(
                summary: "The latest value of each feature for each entity row (missing and expired entities answered explicitly)",
                requestSchema: OnlineReadRequest.schema, responseSchema: OnlineReadResponse.schema
            )
        ) { request in
            let body: OnlineReadRequest = try await request.decodeJSON(maximumSize: 1 << 20)
            let online = body.request
            let answer = try await environment.requirePlatform().featureStore.readOnline(online, context: try request.requireContext())
            return OnlineReadResponse(features: answer.features, rows: online.entityRows, results: answer.results).response()
        }
    }

    /// The catalog filters of a request.
    static func search(_ request: Request) throws -> FeatureGroups.Search {
        var pii: PIIClassification?
        if let text = request.query("pii"), !text.isEmpty {
            guard let value = PIIClassification(rawValue: text) else { throw PlatformError.invalid(field: "pii", "Use pii=none, personal or sensitive") }
            pii = value
        }
        return FeatureGroups.Search(text: request.query("q"), tag: request.query("tag"), owner: request.query("owner"), pii: pii)
    }
}

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
