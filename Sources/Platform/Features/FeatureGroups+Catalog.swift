import Foundation
import PostgresClient
import Residency
public import Tenancy

/// A change to a feature group's catalog metadata; nil fields stay as they are.
public struct FeatureGroupCatalogChange: Sendable, Equatable {
    /// New description, owner, source and tags.
    public var description: String?, owner: String?, source: String?, tags: [String]?
    /// A new time to live: `.some(nil)` removes it (values never expire), nil leaves it.
    public var ttlSeconds: Int64??

    /// Creates a change.
    public init(description: String? = nil, owner: String? = nil, source: String? = nil, tags: [String]? = nil, ttlSeconds: Int64?? = nil) {
        self.description = description
        self.owner = owner
        self.source = source
        self.tags = tags
        self.ttlSeconds = ttlSeconds
    }

    /// The names of the fields it sets, as the API spells them.
    var fieldNames: [String] {
        [("description", description != nil), ("owner", owner != nil), ("source", source != nil), ("tags", tags != nil), ("ttl_seconds", ttlSeconds != nil)]
            .filter(\.1).map(\.0)
    }
}

extension FeatureGroups {
    /// Changes a group's catalog metadata (not its schema: that is a new version). Audited as
    /// `feature_group.catalog_changed` with the new values.
    /// - Throws: ``PlatformError/invalidFields(_:)`` naming the bad field (or `changes` when nothing is set);
    ///   ``PlatformError/notFound(_:)``.
    public func updateCatalog(_ name: String, project slug: String, changes: FeatureGroupCatalogChange, context request: RequestContext) async throws
        -> FeatureGroup
    {
        try request.requirePlatform(.dataWrite)
        return try await context.changingDefinitions(of: request.tenantID) { connection in
            let project = try await Projects.find(slug, for: request, on: connection)
            let group = try await Self.find(name, project: project.id, on: connection)
            guard !changes.fieldNames.isEmpty else { throw PlatformError.invalid(field: "changes", "Send at least one of description, owner, source, tags, ttl_seconds") }
            let updated = FeatureGroupForm(
                name: group.name, entity: group.entity.name, features: group.features, description: changes.description ?? group.description,
                owner: changes.owner ?? group.owner, tags: changes.tags ?? group.tags, source: changes.source ?? group.source,
                eventTimeColumn: group.eventTimeColumn, ttlSeconds: changes.ttlSeconds ?? group.ttlSeconds
            )
            try FeatureGroupValidation.validate(updated)
            try await connection.execute(
                """
                UPDATE feature_groups SET description = \(updated.description), owner = \(updated.owner), tags = \(updated.tags),
                    source = \(updated.source), ttl_seconds = \(updated.ttlSeconds), updated_at = now()
                WHERE id = \(group.id)
                """
            )
            var details = ["fields": changes.fieldNames.joined(separator: ",")]
            if changes.owner != nil { details["owner"] = updated.owner }
            if changes.tags != nil { details["tags"] = updated.tags.joined(separator: ",") }
            if changes.ttlSeconds != nil { details["ttl_seconds"] = updated.ttlSeconds.map(String.init) ?? "none" }
            try await Self.audit("feature_group.catalog_changed", group: group.id, details: details, request: request, on: connection)
            return try await Self.find(name, project: project.id, on: connection)
        }
    }
}
