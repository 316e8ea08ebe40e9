import Foundation
import HTTPTypes
import Platform
import Tenancy
import WebServer

/// `/api/v1/projects`: projects, their datasets and dataset versions (uploads, statistics, downloads).
enum ProjectsAPI {
    /// Registers the routes, each with its access rule and documentation.
    static func add(to routes: inout PortalRoutes, environment: PortalEnvironment) {
        routes.add(
            .post, "/api/v1/projects", access: .permission(.dataWrite),
            documentation: APIDocumentation(
                summary: "Creates a project (the container of datasets, features, runs and models)",
                requestSchema: CreateProjectRequest.schema, responseSchema: ProjectJSON.schema, successStatus: 201
            )
        ) { request in
            let body: CreateProjectRequest = try await request.decodeJSON()
            let project = try await environment.requirePlatform().projects.create(body.form, context: try request.requireContext())
            return try APIResponse.json(ProjectJSON(project), status: .created)
        }

        routes.get(
            "/api/v1/projects", access: .permission(.dataRead),
            documentation: APIDocumentation(summary: "The organisation's projects, by name", responseSchema: ItemsJSON<ProjectJSON>.schema(ProjectJSON.schema))
        ) { request in
            let projects = try await environment.requirePlatform().projects.list(context: try request.requireContext())
            return try APIResponse.json(ItemsJSON(items: projects.map(ProjectJSON.init)))
        }

        routes.get(
            "/api/v1/projects/:project", access: .permission(.dataRead),
            documentation: APIDocumentation(summary: "One project, by its URL name", responseSchema: ProjectJSON.schema)
        ) { request in
            let project = try await environment.requirePlatform().projects.get(try request.segment("project"), context: try request.requireContext())
            return try APIResponse.json(ProjectJSON(project))
        }

        routes.get(
            "/api/v1/projects/:project/access", access: .permission(.dataRead),
            documentation: APIDocumentation(summary: "Who may see the project", responseSchema: ProjectAccessJSON.schema)
        ) { request in
            let access = try await environment.requirePlatform().projects.access(try request.segment("project"), context: try request.requireContext())
            return try APIResponse.json(ProjectAccessJSON(access))
        }

        routes.add(
            .put, "/api/v1/projects/:project/access", access: .permission(.membersManage),
            documentation: APIDocumentation(
                summary: "Restricts the project to the listed members (user ids) or opens it to the organisation again; audited",
                requestSchema: ProjectAccessJSON.schema, responseSchema: ProjectAccessJSON.schema
            )
        ) { request in
            let body: ProjectAccessJSON = try await request.decodeJSON()
            let access = try await environment.requirePlatform().projects.setAccess(
                try request.segment("project"), restricted: body.restricted, members: body.members, context: try request.requireContext()
            )
            return try APIResponse.json(ProjectAccessJSON(access))
        }

        routes.add(
            .post, "/api/v1/projects/:project/datasets", access: .permission(.dataWrite),
            documentation: APIDocumentation(
                summary: "Creates an empty dataset in the project; upload versions to it",
                requestSchema: CreateDatasetRequest.schema, responseSchema: DatasetJSON.schema, successStatus: 201
            )
        ) { request in
            let body: CreateDatasetRequest = try await request.decodeJSON()
            let dataset = try await environment.requirePlatform().datasets.create(
                body.form, project: try request.segment("project"), context: try request.requireContext()
            )
            return try APIResponse.json(DatasetJSON(dataset), status: .created)
        }

        routes.get(
            "/api/v1/projects/:project/datasets", access: .permission(.dataRead),
            documentation: APIDocumentation(
                summary: "The project's datasets, by name, with their latest version", responseSchema: ItemsJSON<DatasetJSON>.schema(DatasetJSON.schema)
            )
        ) { request in
            let datasets = try await environment.requirePlatform().datasets.list(project: try request.segment("project"), context: try request.requireContext())
            return try APIResponse.json(ItemsJSON(items: datasets.map(DatasetJSON.init)))
        }

        routes.get(
            "/api/v1/projects/:project/datasets/:dataset", access: .permission(.dataRead),
            documentation: APIDocumentation(summary: "A dataset with its versions, newest first", responseSchema: DatasetDetailJSON.schema)
        ) { request in
            let (dataset, versions) = try await environment.requirePlatform().datasets.get(
                try request.segment("dataset"), project: try request.segment("project"), context: try request.requireContext()
            )
            return try APIResponse.json(DatasetDetailJSON(dataset: DatasetJSON(dataset), versions: versions.map(DatasetVersionJSON.init)))
        }

        DatasetVersionsAPI.add(to: &routes, environment: environment)
        FeaturesAPI.add(to: &routes, environment: environment)
        FeatureLifecycleAPI.add(to: &routes, environment: environment)
        RunsAPI.add(to: &routes, environment: environment)
        ModelsAPI.add(to: &routes, environment: environment)
        DeploymentsAPI.add(to: &routes, environment: environment)
        CanaryAPI.add(to: &routes, environment: environment)
        DeploymentVariantsAPI.add(to: &routes, environment: environment)
    }
}

extension Request {
    /// Path parameter `name` (a project's URL name, a dataset name); anything unusable is answered like an unknown name.
    /// - Throws: ``PlatformError/notFound(_:)``.
    func segment(_ name: String) throws -> String {
        guard let value = parameters[name], !value.isEmpty, value.utf8.count <= 100 else { throw PlatformError.notFound("No such \(name)") }
        return value
    }
}

extension PortalEnvironment {
    /// The platform services, or 503 where this server runs without them.
    func requirePlatform() throws -> PlatformServices {
        guard let platform else { throw HTTPError(.serviceUnavailable, "Projects and datasets are not enabled on this server") }
        return platform
    }
}
