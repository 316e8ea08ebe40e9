import Foundation
import PostgresClient
import Residency
import Tenancy

extension FeatureStore {
    /// Feature references resolved against a project's groups.
    struct ResolvedFeatures {
        /// The groups named, by name.
        var byName: [String: FeatureGroup]
        /// Each group's feature names in request order (`*` expanded to the latest version's features).
        var requested: [(group: String, features: [String])]
    }

    /// The groups an online read names and the features asked of each, from the definitions cache (read from the
    /// database on a miss); a project the actor may not see is not found, as `Projects.find` answers.
    func resolve(_ request: OnlineRequest, context requestContext: RequestContext) async throws -> ResolvedFeatures {
        let definitions = try await definitions(project: request.project, for: requestContext)
        var references = request.features
        if let service = request.featureService {
            guard references.isEmpty else { throw PlatformError.invalid(field: "features", "Name either features or a feature service, not both") }
            guard let saved = definitions.services[service] else {
                throw PlatformError.notFound("There is no feature service '\(String(service.prefix(60)))' in this project")
            }
            references = saved
        }
        let requested = try Self.parse(references)
        return try Self.resolve(requested, groups: definitions.groups)
    }

    /// Project `slug`'s definitions for `request`'s actor.
    /// - Throws: ``PlatformError/notFound(_:)`` when the tenant has no such project or the actor may not see it.
    private func definitions(project slug: String, for request: RequestContext) async throws -> FeatureDefinitionCache.Definitions {
        let cache = context.definitions
        let tenant = request.tenantID.rawValue
        let found: FeatureDefinitionCache.Definitions?
        if let cached = cache.lookup(tenant: tenant, project: slug) {
            found = cached
        } else {
            let generation = cache.generation(of: tenant)
            found = try await context.router.withTenantTransaction(request.tenantID) { connection in
                try await FeatureDefinitionCache.load(project: slug, on: connection)
            }
            cache.store(tenant: tenant, project: slug, generation: generation, definitions: found)
        }
        guard let found, found.isVisible(to: request) else { throw PlatformError.notFound("There is no project '\(String(slug.prefix(40)))'") }
        return found
    }

    /// Checks `group:feature` / `group:*` references against the project's groups as stored now (latest versions).
    /// - Throws: ``PlatformError/invalidFields(_:)`` naming `features` or `features[i]`.
    nonisolated(nonsending) static func resolve(_ references: [String], project: UUID, on connection: PostgresConnection) async throws
        -> ResolvedFeatures
    {
        let requested = try parse(references)
        let groups = try await connection.query(FeatureGroups.selectGroups("WHERE g.project_id = \(project) AND g.name = ANY(\(requested.map(\.group))::text[])"))
            .map(FeatureGroup.init)
        return try resolve(requested, groups: Dictionary(uniqueKeysWithValues: groups.map { ($0.name, $0) }))
    }

    /// The references grouped by feature group, in order.
    /// - Throws: ``PlatformError/invalidFields(_:)`` for a malformed reference or an empty list.
    static func parse(_ references: [String]) throws(PlatformError) -> [(group: String, features: [String])] {
        var requested: [(group: String, features: [String])] = []
        var errors: [String: String] = [:]
        for (index, reference) in references.enumerated() {
            let parts = reference.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                errors["features[\(index)]"] = "Name a feature as group:feature (or group:* for all of a group's features)"
                continue
            }
            if let position = requested.firstIndex(where: { $0.group == parts[0] }) {
                requested[position].features.append(parts[1])
            } else {
                requested.append((parts[0], [parts[1]]))
            }
        }
        guard errors.isEmpty, !requested.isEmpty else { throw .invalidFields(errors.isEmpty ? ["features": "Ask for at least one feature"] : errors) }
        return requested
    }

    /// Checks parsed references against `groups` (a project's groups by name) and expands `*`.
    static func resolve(_ requested: [(group: String, features: [String])], groups: [String: FeatureGroup]) throws(PlatformError) -> ResolvedFeatures {
        var errors: [String: String] = [:]
        var byName: [String: FeatureGroup] = [:]
        for (name, features) in requested {
            guard let group = groups[name] else {
                errors["features"] = "The project has no feature group '\(String(name.prefix(60)))'"
                continue
            }
            byName[name] = group
            let known = Set(group.features.map(\.name))
            if let unknown = features.first(where: { name in name != "*" && !known.contains(name) }) {
                errors["features"] = "Feature group '\(name)' has no feature '\(String(unknown.prefix(63)))' in its latest version (\(group.latestVersion))"
            }
        }
        guard errors.isEmpty else { throw .invalidFields(errors) }
        let expanded = requested.map { name, features -> (group: String, features: [String]) in
            var seen = Set<String>()
            let names = features.contains("*") ? byName[name]!.features.map(\.name) : features
            return (name, names.filter { seen.insert($0).inserted })
        }
        return ResolvedFeatures(byName: byName, requested: expanded)
    }
}
