import Foundation
import HTTPTypes
import Platform
import Tenancy
import WebServer

/// The feature store's batch side: ingesting datasets into groups, materialisation, statistics per version, feature
/// services (saved feature lists) and point-in-time training sets.
enum FeatureLifecycleAPI {
    static func add(to routes: inout PortalRoutes, environment: PortalEnvironment) {
        let group = "/api/v1/projects/:project/feature-groups/:group"
        routes.add(
            .post, group + "/ingest", access: .permission(.dataWrite),
            documentation: APIDocumentation(
                summary: "Writes a dataset version of the project into the group's offline store (columns by name: the entity's join key, the "
                    + "event-time column, every feature), recomputes the version's statistics and, unless `materialize` is false, loads the new "
                    + "rows into the online store; all or nothing",
                requestSchema: IngestRequest.schema, responseSchema: FeatureIngestionJSON.schema
            )
        ) { request in
            let body: IngestRequest = try await request.decodeJSON()
            let receipt = try await environment.requirePlatform().featureStore.ingest(
                dataset: body.dataset, version: body.version, into: try request.segment("group"), project: try request.segment("project"),
                materialize: body.materialize ?? true, context: try request.requireContext()
            )
            return try APIResponse.json(FeatureIngestionJSON(receipt), isConvertingKeysToSnakeCase: true)
        }

        routes.post(
            group + "/materialize", access: .permission(.dataWrite),
            documentation: APIDocumentation(
                summary: "Loads the offline rows written since the last materialisation into the online store (`?full=true`: every row)",
                responseSchema: MaterializationJSON.schema
            )
        ) { request in
            let receipt = try await environment.requirePlatform().featureStore.materialize(
                group: try request.segment("group"), project: try request.segment("project"), full: try flag(request, "full"),
                context: try request.requireContext()
            )
            return try APIResponse.json(MaterializationJSON(receipt), isConvertingKeysToSnakeCase: true)
        }

        routes.get(
            group + "/statistics", access: .permission(.dataRead),
            documentation: APIDocumentation(
                summary: "The statistics of each version's offline values (the reference for drift detection), newest version first",
                responseSchema: ItemsJSON<FeatureStatisticsJSON>.schema(FeatureStatisticsJSON.schema)
            )
        ) { request in
            let statistics = try await environment.requirePlatform().featureStore.statistics(
                group: try request.segment("group"), project: try request.segment("project"), context: try request.requireContext()
            )
            return try APIResponse.json(ItemsJSON(items: statistics.map(FeatureStatisticsJSON.init)), isConvertingKeysToSnakeCase: true)
        }

        routes.post(
            group + "/statistics", access: .permission(.dataWrite),
            documentation: APIDocumentation(
                summary: "Recomputes the statistics of versions that have none or stale ones (after pushes); `?all=true` recomputes every version",
                responseSchema: ItemsJSON<FeatureStatisticsJSON>.schema(FeatureStatisticsJSON.schema)
            )
        ) { request in
            let statistics = try await environment.requirePlatform().featureStore.refreshStatistics(
                group: try request.segment("group"), project: try request.segment("project"), all: try flag(request, "all"),
                context: try request.requireContext()
            )
            return try APIResponse.json(ItemsJSON(items: statistics.map(FeatureStatisticsJSON.init)), isConvertingKeysToSnakeCase: true)
        }

        routes.get(
            group + "/lineage", access: .permission(.dataRead),
            documentation: APIDocumentation(
                summary: "Where the group's data came from (dataset versions ingested) and went (training sets), and its materialisation state",
                responseSchema: FeatureLineageJSON.schema
            )
        ) { request in
            let lineage = try await environment.requirePlatform().featureGroups.lineage(
                try request.segment("group"), project: try request.segment("project"), context: try request.requireContext()
            )
            return try APIResponse.json(FeatureLineageJSON(lineage), isConvertingKeysToSnakeCase: true)
        }

        addFeatureServices(to: &routes, environment: environment)

        routes.add(
            .post, "/api/v1/projects/:project/training-sets", access: .permission(.dataWrite),
            documentation: APIDocumentation(
                summary: "Builds a training set: every row of the entity dataset with each feature as of the row's timestamp (the latest value at "
                    + "or before it, within the group's TTL), stored as a new version of the `output` dataset with its lineage",
                requestSchema: TrainingSetRequestJSON.schema, responseSchema: DatasetVersionDetailJSON.schema, successStatus: 201
            )
        ) { request in
            let body: TrainingSetRequestJSON = try await request.decodeJSON()
            let detail = try await environment.requirePlatform().featureStore.buildTrainingSet(
                body.request(project: try request.segment("project")), context: try request.requireContext()
            )
            return try APIResponse.json(DatasetVersionDetailJSON(detail), status: .created, isConvertingKeysToSnakeCase: true)
        }
    }

    private static func addFeatureServices(to routes: inout PortalRoutes, environment: PortalEnvironment) {
        let services = "/api/v1/projects/:project/feature-services"
        routes.add(
            .put, services + "/:service", access: .permission(.dataWrite),
            documentation: APIDocumentation(
                summary: "Saves a feature service (a named list of group:feature or group:* references) for online reads and training sets",
                requestSchema: SaveFeatureServiceRequest.schema, responseSchema: FeatureServiceJSON.schema
            )
        ) { request in
            let body: SaveFeatureServiceRequest = try await request.decodeJSON()
            let service = try await environment.requirePlatform().featureServices.save(
                name: try request.segment("service"), description: body.description ?? "", features: body.features, project: try request.segment("project"),
                context: try request.requireContext()
            )
            return try APIResponse.json(FeatureServiceJSON(service), isConvertingKeysToSnakeCase: true)
        }

        routes.get(
            services, access: .permission(.dataRead),
            documentation: APIDocumentation(summary: "The project's feature services", responseSchema: ItemsJSON<FeatureServiceJSON>.schema(FeatureServiceJSON.schema))
        ) { request in
            let list = try await environment.requirePlatform().featureServices.list(project: try request.segment("project"), context: try request.requireContext())
            return try APIResponse.json(ItemsJSON(items: list.map(FeatureServiceJSON.init)), isConvertingKeysToSnakeCase: true)
        }

        routes.get(
            services + "/:service", access: .permission(.dataRead),
            documentation: APIDocumentation(summary: "One feature service", responseSchema: FeatureServiceJSON.schema)
        ) { request in
            let service = try await environment.requirePlatform().featureServices.get(
                try request.segment("service"), project: try request.segment("project"), context: try request.requireContext()
            )
            return try APIResponse.json(FeatureServiceJSON(service), isConvertingKeysToSnakeCase: true)
        }

        routes.add(
            .delete, services + "/:service", access: .permission(.dataWrite),
            documentation: APIDocumentation(summary: "Deletes a feature service", successStatus: 204)
        ) { request in
            try await environment.requirePlatform().featureServices.delete(
                try request.segment("service"), project: try request.segment("project"), context: try request.requireContext()
            )
            return APIResponse.noContent
        }
    }

    /// A `?name=true|false` query flag (absent: false).
    static func flag(_ request: Request, _ name: String) throws -> Bool {
        switch request.query(name) {
        case nil, "", "false": false
        case "true": true
        default: throw PlatformError.invalid(field: name, "Use \(name)=true or \(name)=false")
        }
    }
}
