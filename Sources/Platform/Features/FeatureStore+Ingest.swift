import AsyncAlgorithms
import Foundation
import PostgresClient
import Residency
import Tabular
public import Tenancy

/// What ingesting a dataset version into a feature group did.
public struct FeatureIngestionReceipt: Sendable, Equatable {
    /// The dataset version read.
    public var dataset: String, datasetVersion: Int
    /// The feature group version the rows were written under (the latest).
    public var groupVersion: Int
    /// Rows written to the offline store.
    public var rowCount: Int
    /// Rows left out because their entity key or event time was empty.
    public var skippedCount: Int
    /// The materialisation that followed, unless it was turned off.
    public var materialization: MaterializationReceipt?
    /// The statistics of the group version, recomputed with the new rows.
    public var statistics: FeatureVersionStatistics
}

extension FeatureStore {
    /// Rows written per insert while ingesting a dataset.
    static let ingestionBatchRows = 5_000

    /// Writes a dataset version of the same project into a feature group's offline store: each row's entity key (the
    /// entity's join key column), event time (the group's event-time column, a timestamp) and every feature of the
    /// group's latest version (by column name; an int column may feed a float feature). Then recomputes the version's
    /// statistics and, unless `materialize` is false, loads the new rows into the online store; all in one
    /// transaction, so a failure leaves nothing behind. The lineage (which dataset version fed the group) is kept and
    /// audited as `feature_group.ingested`.
    /// - Parameters:
    ///   - version: the dataset version; nil for the newest.
    /// - Throws: ``PlatformError/notFound(_:)``; ``PlatformError/invalidFields(_:)`` naming `dataset` (no versions) or
    ///   `columns` (a column is missing or of a type the feature cannot take).
    public func ingest(
        dataset datasetName: String, version: Int?, into groupName: String, project slug: String, materialize: Bool = true,
        context request: RequestContext
    ) async throws -> FeatureIngestionReceipt {
        try request.requirePlatform(.dataWrite)
        let (groupID, receipt) = try await context.router.withTenantTransaction(request.tenantID) { connection in
            let project = try await Projects.find(slug, for: request, on: connection)
            let group = try await FeatureGroups.find(groupName, project: project.id, on: connection)
            let dataset = try await Datasets.find(datasetName, project: project.id, on: connection)
            guard let number = version ?? dataset.latestVersion else {
                throw PlatformError.invalid(field: "dataset", "Dataset '\(dataset.name)' has no versions yet; upload one first")
            }
            guard let row = try await connection.query(Datasets.selectVersions("WHERE dataset_id = \(dataset.id) AND version = \(number)")).first else {
                throw PlatformError.notFound("Dataset '\(dataset.name)' has no version \(number)")
            }
            let stored = StoredTableBatches(blobName: try row["blob_name", as: String.self], columns: try DatasetVersion(row).columns, batchSize: Self.ingestionBatchRows)
            let plan = try FeatureColumnPlan(group: group, columns: stored.columns)
            _ = try await connection.query("SELECT 1 FROM feature_groups WHERE id = \(group.id) FOR UPDATE")
            let source = "dataset:\(dataset.id.uuidString.lowercased())@\(number)"
            let (written, skipped) = try await stored.withBatches(tenant: request.tenantID, blobs: context.blobs) { batches in
                var counts = (written: 0, skipped: 0)
                for try await batch in batches {
                    let rows = plan.rows(batch)
                    counts.skipped += batch.count - rows.count
                    counts.written += rows.count
                    guard !rows.isEmpty else { continue }
                    try await connection.execute(
                        """
                        INSERT INTO feature_rows (tenant_id, group_id, version, entity_key, event_time, feature_values, source)
                        SELECT \(request.tenantID.rawValue), \(group.id), \(group.latestVersion), r.entity_key, r.event_time::timestamptz,
                               r.feature_values::jsonb, \(source)
                        FROM unnest(\(rows.map(\.entityKey))::text[], \(rows.map(\.eventTime))::text[], \(rows.map(\.values))::text[])
                            AS r(entity_key, event_time, feature_values)
                        """
                    )
                }
                return counts
            }
            try await connection.execute(
                """
                INSERT INTO feature_group_ingestions (tenant_id, id, group_id, version, dataset_id, dataset_version, row_count, skipped_count, created_by)
                VALUES (\(request.tenantID.rawValue), \(UUID()), \(group.id), \(group.latestVersion), \(dataset.id), \(number), \(written), \(skipped),
                        \(request.platformActor))
                """
            )
            let statistics = try await Self.computeStatistics(group: group.id, version: group.latestVersion, features: group.features, on: connection)
            let materialization = materialize ? try await Self.materialize(group: group.id, full: false, tenant: request.tenantID, on: connection) : nil
            try await FeatureGroups.audit(
                "feature_group.ingested", group: group.id,
                details: ["dataset": dataset.name, "dataset_version": String(number), "rows": String(written), "skipped_rows": String(skipped)],
                request: request, on: connection
            )
            let receipt = FeatureIngestionReceipt(
                dataset: dataset.name, datasetVersion: number, groupVersion: group.latestVersion, rowCount: written, skippedCount: skipped,
                materialization: materialization, statistics: statistics
            )
            return (group.id, receipt)
        }
        if receipt.materialization != nil { cache.invalidate(group: groupID) }
        return receipt
    }
}

/// Where a feature group finds its entity key, event time and features in a dataset's columns, and how each value
/// becomes what the stores hold.
struct FeatureColumnPlan {
    let keyIndex: Int, keyType: EntityKeyType, timeIndex: Int
    /// Per feature of the group's latest version: its column's position and the feature's type.
    let features: [(index: Int, type: ColumnType)]
    let names: [String]

    /// Matches the group's columns by name and checks their types.
    /// - Throws: ``PlatformError/invalidFields(_:)`` naming `columns`, listing every problem.
    init(group: FeatureGroup, columns: [Column]) throws(PlatformError) {
        let byName = Dictionary(columns.enumerated().map { ($0.element.name, ($0.offset, $0.element.type)) }, uniquingKeysWith: { first, _ in first })
        var problems: [String] = []
        let key = byName[group.entity.joinKey]
        switch (key?.1, group.entity.keyType) {
        case (nil, _): problems.append("no column '\(group.entity.joinKey)' (the \(group.entity.name) entity's key)")
        case (.int?, _), (.string?, .string), (.category?, .string): break
        case (let type?, _): problems.append("the key column '\(group.entity.joinKey)' is \(type.rawValue), not \(group.entity.keyType.rawValue)")
        }
        let time = byName[group.eventTimeColumn]
        switch time?.1 {
        case nil: problems.append("no column '\(group.eventTimeColumn)' (the event time)")
        case .timestamp?: break
        case let type?: problems.append("the event-time column '\(group.eventTimeColumn)' is \(type.rawValue), not timestamp")
        }
        var features: [(Int, ColumnType)] = []
        for feature in group.features {
            guard let (index, type) = byName[feature.name] else {
                problems.append("no column '\(feature.name)' (a feature)")
                continue
            }
            guard Self.canFeed(type, into: feature.type) else {
                problems.append("the column '\(feature.name)' is \(type.rawValue), but the feature is \(feature.type.rawValue)")
                continue
            }
            features.append((index, feature.type))
        }
        guard problems.isEmpty, let key, let time else {
            throw .invalid(field: "columns", "The dataset does not fit feature group '\(group.name)': " + problems.joined(separator: "; "))
        }
        (keyIndex, keyType, timeIndex, self.features, names) = (key.0, group.entity.keyType, time.0, features, group.features.map(\.name))
    }

    /// True when a column of type `column` can feed a feature of type `feature`.
    static func canFeed(_ column: ColumnType, into feature: ColumnType) -> Bool {
        switch (column, feature) {
        case _ where column == feature: true
        case (.int, .float), (.string, .category), (.category, .string): true
        default: false
        }
    }

    /// The rows with an entity key and an event time, as the offline store's insert binds them.
    func rows(_ batch: [[TabularValue]]) -> [FeatureStore.ConvertedRow] {
        batch.compactMap { values in
            guard let key = Self.keyText(values[keyIndex], type: keyType), case .timestamp(let micros) = values[timeIndex] else { return nil }
            let converted = features.map { index, type -> TabularValue in
                if case .int(let number) = values[index], type == .float { return .float(Double(number)) }
                return values[index]
            }
            return FeatureStore.ConvertedRow(
                entityKey: key, eventTime: TimestampText.format(microseconds: micros), values: FeatureValuesJSON.object(names: names, values: converted)
            )
        }
    }

    /// An entity key's text: an int's decimal digits, or non-empty text of at most 500 characters.
    static func keyText(_ value: TabularValue, type: EntityKeyType) -> String? {
        switch value {
        case .int(let number): String(number)
        case .string(let text) where type == .string && !text.isEmpty && text.count <= 500: text
        default: nil
        }
    }
}
