public import Foundation
import PostgresClient
import Residency
public import Tenancy

/// A saved list of features (`group:feature` or `group:*`) that a model reads online and trains on, by one name.
public struct FeatureService: Sendable, Equatable {
    /// The id.
    public var id: UUID
    /// The name, unique in the project.
    public var name: String
    /// What it is for.
    public var description: String
    /// The feature references, in order.
    public var features: [String]
    /// Who made it and when; when it last changed.
    public var createdBy: String, createdAt: Date, updatedAt: Date

    init(_ row: PostgresRow) throws {
        id = try row["id", as: UUID.self]
        name = try row["name", as: String.self]
        description = try row["description", as: String.self]
        features = try row["features", as: [String].self]
        createdBy = try row["created_by", as: String.self]
        createdAt = try row["created_at", as: Date.self]
        updatedAt = try row["updated_at", as: Date.self]
    }
}

/// A project's feature services. Reads need `data.read`; saving and deleting need `data.write` and are audited.
public struct FeatureServices: Sendable {
    let context: PlatformContext

    /// Creates a service, or replaces the list and description of the one with that name (the references are
    /// checked against the groups' latest versions now; a later schema change can make one stale, which reads report).
    /// - Throws: ``PlatformError/invalidFields(_:)`` naming `name`, `description` or `features`; ``PlatformError/notFound(_:)``.
    public func save(name: String, description: String = "", features: [String], project slug: String, context request: RequestContext) async throws
        -> FeatureService
    {
        try request.requirePlatform(.dataWrite)
        return try await context.changingDefinitions(of: request.tenantID) { connection in
            let project = try await Projects.find(slug, for: request, on: connection)
            var errors: [String: String] = [:]
            if let problem = PlatformName.datasetNameProblem(name) {
                errors["name"] = problem.replacingOccurrences(of: "a dataset name", with: "a feature service name")
            }
            if description.count > 2000 { errors["description"] = "Keep the description under 2,000 characters" }
            if !(1...FeatureStore.maximumOnlineFeatures).contains(features.count) {
                errors["features"] = "List 1–\(FeatureStore.maximumOnlineFeatures) features as group:feature or group:*"
            }
            guard errors.isEmpty else { throw PlatformError.invalidFields(errors) }
            _ = try await FeatureStore.resolve(features, project: project.id, on: connection)
            let row = try await connection.query(
                """
                INSERT INTO feature_services (tenant_id, id, project_id, name, description, features, created_by)
                VALUES (\(request.tenantID.rawValue), \(UUID()), \(project.id), \(name), \(description), \(features), \(request.platformActor))
                ON CONFLICT (tenant_id, project_id, name) DO UPDATE
                    SET description = EXCLUDED.description, features = EXCLUDED.features, updated_at = now()
                RETURNING *
                """
            )[0]
            let service = try FeatureService(row)
            try await audit("feature_service.saved", service: service, details: ["features": features.joined(separator: ",")], request: request, on: connection)
            return service
        }
    }

    /// The project's feature services by name.
    public func list(project slug: String, context request: RequestContext) async throws -> [FeatureService] {
        try request.requirePlatform(.dataRead)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            let project = try await Projects.find(slug, for: request, on: connection)
            return try await connection.query("SELECT * FROM feature_services WHERE project_id = \(project.id) ORDER BY name").map(FeatureService.init)
        }
    }

    /// One service.
    /// - Throws: ``PlatformError/notFound(_:)``.
    public func get(_ name: String, project slug: String, context request: RequestContext) async throws -> FeatureService {
        try request.requirePlatform(.dataRead)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            try await Self.find(name, project: try await Projects.find(slug, for: request, on: connection).id, on: connection)
        }
    }

    /// Deletes a service (models that named it then fail to read it, with a clear error).
    /// - Throws: ``PlatformError/notFound(_:)``.
    public func delete(_ name: String, project slug: String, context request: RequestContext) async throws {
        try request.requirePlatform(.dataWrite)
        try await context.changingDefinitions(of: request.tenantID) { connection in
            let service = try await Self.find(name, project: try await Projects.find(slug, for: request, on: connection).id, on: connection)
            try await connection.execute("DELETE FROM feature_services WHERE id = \(service.id)")
            try await audit("feature_service.deleted", service: service, details: [:], request: request, on: connection)
        }
    }

    /// The service `name` of a project in the transaction's tenant, or ``PlatformError/notFound(_:)``.
    nonisolated(nonsending) static func find(_ name: String, project: UUID, on connection: PostgresConnection) async throws -> FeatureService {
        guard let row = try await connection.query("SELECT * FROM feature_services WHERE project_id = \(project) AND name = \(name)").first else {
            throw PlatformError.notFound("There is no feature service '\(String(name.prefix(60)))' in this project")
        }
        return try FeatureService(row)
    }

    private nonisolated(nonsending) func audit(
        _ action: String, service: FeatureService, details: [String: String], request: RequestContext, on connection: PostgresConnection
    ) async throws {
        try await AuditLog.record(
            AuditEvent(
                actor: request.auditActor, action: action, target: "feature_service:\(service.id.uuidString.lowercased())",
                sourceIP: request.clientAddress, requestID: request.requestID, details: details.merging(["name": service.name]) { old, _ in old }
            ),
            tenant: request.tenantID, on: connection
        )
    }
}
