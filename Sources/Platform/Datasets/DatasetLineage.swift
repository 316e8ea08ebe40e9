public import Foundation

/// Where a dataset version made by the platform came from. Stored with the version (JSON) and shown on its page, so a
/// model trained on it can be traced back to the exact inputs.
public struct DatasetLineage: Sendable, Codable, Equatable {
    /// The entity rows a training set was built for: a dataset version and its timestamp column.
    public struct EntitySource: Sendable, Codable, Equatable {
        /// The dataset's id and name (the name as it was then).
        public var datasetID: UUID, dataset: String
        /// Its version.
        public var version: Int
        /// The column holding each row's "as of" time.
        public var timestampColumn: String
    }

    /// One feature joined into a training set.
    public struct JoinedFeature: Sendable, Codable, Equatable {
        /// `group:feature`.
        public var reference: String
        /// The output column it became.
        public var column: String
        /// The feature group's id and its newest version at the time.
        public var groupID: UUID, groupVersion: Int
    }

    /// What made the version; `training_set` for now.
    public var kind: String
    /// The entity rows.
    public var entities: EntitySource
    /// The features, in output column order.
    public var features: [JoinedFeature]
    /// The feature service the list came from, if one was named.
    public var featureService: String?
    /// Offline rows written after this instant were not considered (a training set is reproducible).
    public var cutoff: Date
}
