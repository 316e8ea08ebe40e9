public import Foundation
import PostgresClient
import Residency
public import Tenancy

/// Where a feature group's data came from and where it went: the dataset versions ingested into it, the training
/// sets that joined its features, and how far the online store is materialised.
public struct FeatureGroupLineage: Sendable, Equatable {
    /// One dataset version ingested into the group.
    public struct Ingestion: Sendable, Equatable {
        /// The dataset's name and the version read.
        public var dataset: String, datasetVersion: Int
        /// The group version the rows were written under.
        public var groupVersion: Int
        /// Rows written and rows left out (no key or event time).
        public var rowCount: Int, skippedCount: Int
        /// Who ingested it and when.
        public var createdBy: String, createdAt: Date
    }

    /// A dataset version built as a training set with features of the group.
    public struct TrainingSet: Sendable, Equatable {
        /// The dataset's name and version.
        public var dataset: String, version: Int
        /// Its rows.
        public var rowCount: Int64
        /// When it was built.
        public var createdAt: Date
    }

    /// A registered model version trained on a training set with features of the group.
    public struct ModelUse: Sendable, Equatable {
        /// The registered model's name and the version.
        public var model: String, version: Int
        /// When it was registered.
        public var createdAt: Date
    }

    /// The newest ingestions first (at most 50).
    public var ingestions: [Ingestion]
    /// The newest training sets first (at most 50).
    public var trainingSets: [TrainingSet]
    /// The newest model versions using the group's features first (at most 50).
    public var models: [ModelUse]
    /// When the online store was last materialised from the offline store; nil if never.
    public var materializedAt: Date?
    /// Offline rows written since the last materialisation (pushed rows among them are online already).
    public var rowsSinceMaterialization: Int
}

extension FeatureGroups {
    /// The lineage of a group.
    /// - Throws: ``PlatformError/notFound(_:)``.
    public func lineage(_ name: String, project slug: String, context request: RequestContext) async throws -> FeatureGroupLineage {
        try request.requirePlatform(.dataRead)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            let group = try await Self.find(name, project: try await Projects.find(slug, for: request, on: connection).id, on: connection)
            let ingestions = try await connection.query(
                """
                SELECT d.name AS dataset, i.dataset_version, i.version, i.row_count, i.skipped_count, i.created_by, i.created_at
                FROM feature_group_ingestions i JOIN datasets d ON d.id = i.dataset_id
                WHERE i.group_id = \(group.id) ORDER BY i.created_at DESC LIMIT 50
                """
            ).map { row in
                FeatureGroupLineage.Ingestion(
                    dataset: try row["dataset", as: String.self], datasetVersion: try row["dataset_version", as: Int.self],
                    groupVersion: try row["version", as: Int.self], rowCount: try row["row_count", as: Int.self],
                    skippedCount: try row["skipped_count", as: Int.self], createdBy: try row["created_by", as: String.self],
                    createdAt: try row["created_at", as: Date.self]
                )
            }
            let trainingSets = try await connection.query(
                """
                SELECT d.name AS dataset, v.version, v.row_count, v.created_at
                FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
                WHERE d.project_id = (SELECT project_id FROM feature_groups WHERE id = \(group.id)) AND v.lineage IS NOT NULL
                  AND EXISTS (SELECT 1 FROM jsonb_array_elements(v.lineage -> 'features') f WHERE lower(f ->> 'groupID') = \(group.id.uuidString.lowercased()))
                ORDER BY v.created_at DESC LIMIT 50
                """
            ).map { row in
                FeatureGroupLineage.TrainingSet(
                    dataset: try row["dataset", as: String.self], version: try row["version", as: Int.self], rowCount: try row["row_count", as: Int64.self],
                    createdAt: try row["created_at", as: Date.self]
                )
            }
            let models = try await connection.query(
                """
                SELECT m.name, v.version, v.created_at FROM model_versions v JOIN registered_models m ON m.id = v.model_id
                WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(v.lineage -> 'feature_groups') f WHERE lower(f ->> 'groupID') = \(group.id.uuidString.lowercased()))
                ORDER BY v.created_at DESC LIMIT 50
                """
            ).map { row in
                FeatureGroupLineage.ModelUse(model: try row["name", as: String.self], version: try row["version", as: Int.self], createdAt: try row["created_at", as: Date.self])
            }
            let state = try await connection.query(
                """
                SELECT g.materialized_at,
                       (SELECT count(*)::bigint FROM feature_rows r WHERE r.group_id = g.id AND r.seq > g.materialized_seq) AS pending
                FROM feature_groups g WHERE g.id = \(group.id)
                """
            )[0]
            return FeatureGroupLineage(
                ingestions: ingestions, trainingSets: trainingSets, models: models, materializedAt: try state["materialized_at", as: Date?.self],
                rowsSinceMaterialization: try state["pending", as: Int.self]
            )
        }
    }
}
