import Foundation
import PostgresClient
import Residency
public import Tenancy

/// A project's entities. Reads need `data.read`, creation `data.write` (audited).
public struct Entities: Sendable {
    let context: PlatformContext

    /// Creates an entity.
    /// - Throws: ``PlatformError/invalidFields(_:)`` naming `name`, `join_key` or `description`; ``PlatformError/conflict(_:)``
    ///   when the name is taken in the project; ``PlatformError/notFound(_:)`` for an unknown project.
    public func create(_ form: EntityForm, project slug: String, context request: RequestContext) async throws -> Entity {
        try request.requirePlatform(.dataWrite)
        do {
            return try await context.router.withTenantTransaction(request.tenantID) { connection in
                let project = try await Projects.find(slug, for: request, on: connection)
                var errors: [String: String] = [:]
                if let problem = PlatformName.datasetNameProblem(form.name) { errors["name"] = problem.replacingOccurrences(of: "a dataset name", with: "an entity name") }
                if let problem = FeatureNames.columnProblem(form.joinKey, what: "The join key") { errors["join_key"] = problem }
                if form.description.count > 2000 { errors["description"] = "Keep the description under 2,000 characters" }
                guard errors.isEmpty else { throw PlatformError.invalidFields(errors) }
                let row = try await connection.query(
                    """
                    INSERT INTO entities (tenant_id, id, project_id, name, join_key, key_type, description, created_by)
                    VALUES (\(request.tenantID.rawValue), \(UUID()), \(project.id), \(form.name), \(form.joinKey), \(form.keyType.rawValue),
                            \(form.description), \(request.platformActor))
                    RETURNING *
                    """
                )[0]
                let entity = try Entity(row)
                try await AuditLog.record(
                    AuditEvent(
                        actor: request.auditActor, action: "entity.created", target: "entity:\(entity.id.uuidString.lowercased())",
                        sourceIP: request.clientAddress, requestID: request.requestID, details: ["project": project.slug, "name": entity.name]
                    ),
                    tenant: request.tenantID, on: connection
                )
                return entity
            }
        } catch let error as PostgresError where error.sqlState == "23505" {
            throw PlatformError.conflict("The project has an entity called '\(form.name)' already")
        }
    }

    /// The project's entities by name.
    public func list(project slug: String, context request: RequestContext) async throws -> [Entity] {
        try request.requirePlatform(.dataRead)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            let project = try await Projects.find(slug, for: request, on: connection)
            return try await connection.query("SELECT * FROM entities WHERE project_id = \(project.id) ORDER BY name").map { try Entity($0) }
        }
    }
}

/// Rules for the names of feature columns, join keys and event-time columns.
enum FeatureNames {
    /// A letter or `_`, then letters, digits or `_`; at most 63 characters (they become columns of training sets).
    static func columnProblem(_ name: String, what: String) -> String? {
        let bytes = Array(name.utf8)
        func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == UInt8(ascii: "_") }
        guard (1...63).contains(bytes.count), isLetter(bytes[0]), bytes.allSatisfy({ isLetter($0) || (0x30...0x39).contains($0) }) else {
            return "\(what) '\(String(name.prefix(63)))' must be a letter or '_' followed by letters, digits or '_' (at most 63)"
        }
        return nil
    }
}
