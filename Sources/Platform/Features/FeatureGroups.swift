import Foundation
import PostgresClient
import Residency
public import Tenancy

/// A project's feature groups: definitions, versions and the catalog. Reads need `data.read`, changes `data.write`;
/// creating a group and adding a version are audited (a schema is what downstream models depend on).
public struct FeatureGroups: Sendable {
    let context: PlatformContext

    /// What the catalog search filters on; every given filter must match.
    public struct Search: Sendable, Equatable {
        /// Text in the name, description, owner, a tag or a feature name (case-insensitive).
        public var text: String?
        /// An exact tag.
        public var tag: String?
        /// Text in the owner (case-insensitive).
        public var owner: String?
        /// Groups with at least one feature of this classification.
        public var pii: PIIClassification?

        /// Creates a search.
        public init(text: String? = nil, tag: String? = nil, owner: String? = nil, pii: PIIClassification? = nil) {
            self.text = text
            self.tag = tag
            self.owner = owner
            self.pii = pii
        }
    }

    /// Creates a feature group with version 1 of its schema.
    /// - Throws: ``PlatformError/invalidFields(_:)`` naming the wrong field (`features[2].name`, …);
    ///   ``PlatformError/notFound(_:)`` for an unknown project or entity; ``PlatformError/conflict(_:)`` for a taken name.
    public func create(_ form: FeatureGroupForm, project slug: String, context request: RequestContext) async throws -> FeatureGroup {
        try request.requirePlatform(.dataWrite)
        do {
            return try await context.changingDefinitions(of: request.tenantID) { connection in
                let project = try await Projects.find(slug, for: request, on: connection)
                try FeatureGroupValidation.validate(form)
                guard let entity = try await connection.query("SELECT * FROM entities WHERE project_id = \(project.id) AND name = \(form.entity)").first
                    .map({ try Entity($0) })
                else { throw PlatformError.invalid(field: "entity", "The project has no entity '\(String(form.entity.prefix(60)))'; create it first") }
                try FeatureGroupValidation.check(form.features, entity: entity, eventTimeColumn: form.eventTimeColumn)
                let id = UUID()
                try await connection.execute(
                    """
                    INSERT INTO feature_groups (tenant_id, id, project_id, entity_id, name, description, owner, tags, source, event_time_column,
                                                ttl_seconds, created_by)
                    VALUES (\(request.tenantID.rawValue), \(id), \(project.id), \(entity.id), \(form.name), \(form.description), \(form.owner),
                            \(form.tags), \(form.source), \(form.eventTimeColumn), \(form.ttlSeconds), \(request.platformActor))
                    """
                )
                try await insertVersion(1, features: form.features, group: id, request: request, on: connection)
                try await Self.audit("feature_group.created", group: id, details: ["project": project.slug, "name": form.name], request: request, on: connection)
                return try await Self.find(form.name, project: project.id, on: connection)
            }
        } catch let error as PostgresError where error.sqlState == "23505" {
            throw PlatformError.conflict("The project has a feature group called '\(form.name)' already; add a version to it instead")
        }
    }

    /// Adds a version with a new feature list (a schema change); earlier versions and their rows stay readable.
    /// - Throws: as ``create(_:project:context:)``; ``PlatformError/conflict(_:)`` when nothing changed.
    public func addVersion(_ features: [FeatureDefinition], to name: String, project slug: String, context request: RequestContext) async throws
        -> FeatureGroup
    {
        try request.requirePlatform(.dataWrite)
        return try await context.changingDefinitions(of: request.tenantID) { connection in
            let project = try await Projects.find(slug, for: request, on: connection)
            let group = try await Self.find(name, project: project.id, on: connection)
            try FeatureGroupValidation.validateFeatures(features)
            try FeatureGroupValidation.check(features, entity: group.entity, eventTimeColumn: group.eventTimeColumn)
            guard features != group.features else { throw PlatformError.conflict("Version \(group.latestVersion) has exactly these features already") }
            _ = try await connection.query("SELECT 1 FROM feature_groups WHERE id = \(group.id) FOR UPDATE")
            let version = group.latestVersion + 1
            try await insertVersion(version, features: features, group: group.id, request: request, on: connection)
            try await connection.execute("UPDATE feature_groups SET updated_at = now() WHERE id = \(group.id)")
            try await Self.audit("feature_group.version_created", group: group.id, details: ["version": String(version)], request: request, on: connection)
            return try await Self.find(name, project: project.id, on: connection)
        }
    }

    /// The project's feature groups matching `search`, by name (the catalog).
    public func list(project slug: String, search: Search = Search(), context request: RequestContext) async throws -> [FeatureGroup] {
        try request.requirePlatform(.dataRead)
        let text = search.text.flatMap { $0.isEmpty ? nil : "%" + Self.likeEscaped($0.lowercased()) + "%" }
        let owner = search.owner.flatMap { $0.isEmpty ? nil : "%" + Self.likeEscaped($0.lowercased()) + "%" }
        let tag = search.tag.flatMap { $0.isEmpty ? nil : $0 }
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            let project = try await Projects.find(slug, for: request, on: connection)
            return try await connection.query(
                Self.selectGroups(
                    """
                    WHERE g.project_id = \(project.id)
                      AND (\(text)::text IS NULL OR lower(g.name) LIKE \(text) OR lower(g.description) LIKE \(text) OR lower(g.owner) LIKE \(text)
                           OR EXISTS (SELECT 1 FROM unnest(g.tags) t WHERE lower(t) LIKE \(text))
                           OR EXISTS (SELECT 1 FROM jsonb_array_elements(v.features) f WHERE lower(f->>'name') LIKE \(text)))
                      AND (\(tag)::text IS NULL OR \(tag) = ANY(g.tags))
                      AND (\(owner)::text IS NULL OR lower(g.owner) LIKE \(owner))
                      AND (\(search.pii?.rawValue)::text IS NULL OR EXISTS (
                            SELECT 1 FROM jsonb_array_elements(v.features) f WHERE f->>'pii' = \(search.pii?.rawValue)))
                    ORDER BY g.name
                    """
                )
            ).map(FeatureGroup.init)
        }
    }

    /// One group with its versions and freshness.
    /// - Throws: ``PlatformError/notFound(_:)`` for an unknown project or group.
    public func get(_ name: String, project slug: String, context request: RequestContext) async throws -> FeatureGroupDetail {
        try request.requirePlatform(.dataRead)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            let project = try await Projects.find(slug, for: request, on: connection)
            let group = try await Self.find(name, project: project.id, on: connection)
            let versions = try await connection.query("SELECT * FROM feature_group_versions WHERE group_id = \(group.id) ORDER BY version DESC")
                .map(FeatureGroupVersion.init)
            let freshness = try await connection.query(
                """
                SELECT max(event_time) AS latest_event_time, max(updated_at) AS last_written_at, count(*)::bigint AS entities
                FROM online_features WHERE group_id = \(group.id)
                """
            )[0]
            return FeatureGroupDetail(
                group: group, versions: versions, latestEventTime: try freshness["latest_event_time", as: Date?.self],
                lastWrittenAt: try freshness["last_written_at", as: Date?.self], onlineEntityCount: try freshness["entities", as: Int.self]
            )
        }
    }

    private nonisolated(nonsending) func insertVersion(
        _ version: Int, features: [FeatureDefinition], group: UUID, request: RequestContext, on connection: PostgresConnection
    ) async throws {
        try await connection.execute(
            """
            INSERT INTO feature_group_versions (tenant_id, group_id, version, features, created_by)
            VALUES (\(request.tenantID.rawValue), \(group), \(version), \(try PostgresJSON(encoding: features)), \(request.platformActor))
            """
        )
    }

    /// Records an audit event about a feature group in the caller's transaction.
    nonisolated(nonsending) static func audit(
        _ action: String, group: UUID, details: [String: String], request: RequestContext, on connection: PostgresConnection
    ) async throws {
        try await AuditLog.record(
            AuditEvent(
                actor: request.auditActor, action: action, target: "feature_group:\(group.uuidString.lowercased())", sourceIP: request.clientAddress,
                requestID: request.requestID, details: details
            ),
            tenant: request.tenantID, on: connection
        )
    }

    /// The group `name` of a project in the transaction's tenant, or ``PlatformError/notFound(_:)``.
    nonisolated(nonsending) static func find(_ name: String, project: UUID, on connection: PostgresConnection) async throws -> FeatureGroup {
        guard let row = try await connection.query(selectGroups("WHERE g.project_id = \(project) AND g.name = \(name)")).first else {
            throw PlatformError.notFound("There is no feature group '\(String(name.prefix(60)))' in this project")
        }
        return try FeatureGroup(row)
    }

    /// The group with id `id` in the transaction's tenant, in a project the actor may see, or ``PlatformError/notFound(_:)``.
    nonisolated(nonsending) static func find(id: UUID, for request: RequestContext, on connection: PostgresConnection) async throws -> FeatureGroup {
        let visibility = Projects.visibility(request)
        let rows = try await connection.query(
            selectGroups(
                """
                WHERE g.id = \(id) AND EXISTS (
                    SELECT 1 FROM projects p WHERE p.id = g.project_id AND (NOT p.restricted OR \(visibility.seesAll)
                        OR EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = p.id AND m.user_id = \(visibility.user))))
                """
            )
        )
        guard let row = rows.first else {
            throw PlatformError.notFound("There is no such feature group")
        }
        return try FeatureGroup(row)
    }

    /// Groups with their entity and latest version, filtered by `rest` (whose values are bound).
    static func selectGroups(_ rest: PostgresQuery) -> PostgresQuery {
        PostgresQuery(
            unsafeSQL: """
                SELECT g.*, e.id AS entity_id, e.name AS entity_name, e.join_key AS entity_join_key, e.key_type AS entity_key_type,
                       e.description AS entity_description, e.created_at AS entity_created_at, v.version AS latest_version, v.features
                FROM feature_groups g JOIN entities e ON e.id = g.entity_id
                JOIN LATERAL (SELECT version, features FROM feature_group_versions WHERE group_id = g.id ORDER BY version DESC LIMIT 1) v ON true
                \(rest.sql)
                """,
            bindings: rest.bindings
        )
    }

    /// `text` with LIKE's wildcards escaped.
    static func likeEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }
}
