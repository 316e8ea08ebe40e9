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
            let online = try OnlineReadRequest.decode(try await request.jsonBody(maximumSize: 1 << 20))
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
