import AsyncAlgorithms
import Foundation
import PostgresClient
import Residency
import Tabular
public import Tenancy

extension FeatureStore {
    /// Entity rows joined per batch while building a training set.
    static let trainingSetBatchRows = 2_000

    /// Builds a training set: every row of the entity dataset, with each requested feature as of the row's timestamp
    /// (the latest value at or before it, within the group's time to live; never a later one), stored as a new version
    /// of the `output` dataset (created when missing) with the lineage that made it. The entity rows are read, joined
    /// and written in batches, streamed into the blob store like an upload, so no table is held whole. Offline rows
    /// ingested after the build started are left out, so the version is what the store held at that instant.
    /// Audited like an upload (`dataset.version_created`).
    /// - Throws: ``PlatformError/notFound(_:)`` for an unknown project, dataset, version or feature service;
    ///   ``PlatformError/invalidFields(_:)`` naming `features`, `timestamp_column`, `entity_dataset` or `output`.
    public func buildTrainingSet(_ request: TrainingSetRequest, context requestContext: RequestContext) async throws -> DatasetVersionDetail {
        try requestContext.requirePlatform(.dataWrite)
        let datasets = Datasets(context: context)
        if let problem = PlatformName.datasetNameProblem(request.output) {
            throw PlatformError.invalid(field: "output", problem)
        }
        let (plan, stored, lineage) = try await context.router.withTenantTransaction(requestContext.tenantID) { connection in
            let project = try await Projects.find(request.project, for: requestContext, on: connection)
            let dataset = try await Datasets.find(request.entityDataset, project: project.id, on: connection)
            guard let number = request.entityVersion ?? dataset.latestVersion else {
                throw PlatformError.invalid(field: "entity_dataset", "Dataset '\(dataset.name)' has no versions yet; upload the entity rows first")
            }
            guard let row = try await connection.query(Datasets.selectVersions("WHERE dataset_id = \(dataset.id) AND version = \(number)")).first else {
                throw PlatformError.notFound("Dataset '\(dataset.name)' has no version \(number)")
            }
            var references = request.features
            if let service = request.featureService {
                guard references.isEmpty else { throw PlatformError.invalid(field: "features", "Name either features or a feature service, not both") }
                references = try await FeatureServices.find(service, project: project.id, on: connection).features
            }
            let resolved = try await Self.resolve(references, project: project.id, on: connection)
            let cutoff = try await connection.query("SELECT now() AS cutoff")[0]["cutoff", as: Date.self]
            let version = try DatasetVersion(row)
            let plan = try TrainingSetPlan(entityColumns: version.columns, timestampColumn: request.timestampColumn, resolved: resolved, cutoff: cutoff)
            let stored = StoredTableBatches(blobName: try row["blob_name", as: String.self], columns: version.columns, batchSize: Self.trainingSetBatchRows)
            let lineage = DatasetLineage(
                kind: "training_set",
                entities: .init(datasetID: dataset.id, dataset: dataset.name, version: number, timestampColumn: request.timestampColumn),
                features: Self.joinedFeatures(plan: plan, resolved: resolved), featureService: request.featureService, cutoff: cutoff
            )
            return (plan, stored, lineage)
        }
        do {
            _ = try await datasets.create(DatasetForm(name: request.output, description: "Training set"), project: request.project, context: requestContext)
        } catch PlatformError.conflict(_) {}  // it exists: the training set becomes its next version
        let overrides = try SchemaOverrides(columns: plan.outputColumns)
        let csv = AsyncThrowingChannel<[UInt8], any Error>()
        let router = context.router
        let blobs = context.blobs
        let tenant = requestContext.tenantID
        return try await withThrowingTaskGroup(of: (any Error)?.self) { tasks in
            tasks.addTask {
                do {
                    var writer = try CSVWriter(header: plan.outputColumns.map(\.name))
                    try await stored.withBatches(tenant: tenant, blobs: blobs) { batches in
                        for try await batch in batches {
                            let rows = try await router.withTenantTransaction(tenant) { connection in try await plan.join(batch, on: connection) }
                            for row in rows { try writer.write(row) }
                            await csv.send(writer.takeBytes())
                            try Task.checkCancellation()
                        }
                    }
                    let rest = writer.takeBytes()
                    if !rest.isEmpty { await csv.send(rest) }
                    csv.finish()
                    return nil
                } catch {
                    csv.fail(error)
                    return error
                }
            }
            defer { tasks.cancelAll() }
            do {
                return try await datasets.upload(
                    csv, to: request.output, project: request.project, settings: IngestionSettings(format: .csv, overrides: overrides),
                    sourceName: "training-set.csv", lineage: lineage, context: requestContext
                )
            } catch {
                // The producer's failure explains the upload's (a database or blob error while joining).
                tasks.cancelAll()
                if case let produced?? = try await tasks.next(), !(produced is CancellationError) { throw produced }
                throw error
            }
        }
    }

    /// The lineage entries of a plan's features, in output column order.
    private static func joinedFeatures(plan: TrainingSetPlan, resolved: ResolvedFeatures) -> [DatasetLineage.JoinedFeature] {
        var columns = plan.outputColumns.dropFirst(plan.entityColumns.count).makeIterator()
        var joined: [DatasetLineage.JoinedFeature] = []
        for (name, _) in resolved.requested {
            let group = resolved.byName[name]!
            guard let join = plan.joins.first(where: { $0.group == group.id }) else { continue }
            for feature in join.features {
                guard let column = columns.next() else { break }
                joined.append(.init(reference: "\(group.name):\(feature.name)", column: column.name, groupID: group.id, groupVersion: group.latestVersion))
            }
        }
        return joined
    }
}
