import Foundation
import Platform
import Tabular

/// View models of the feature store's batch side: a group's statistics per version and its lineage (ingestions,
/// training sets, materialisation), the catalog's feature services, and the options of the ingest and training set
/// forms. Per-feature statistics use ``ProjectView/column(column:statistics:)``, so they read like a dataset's.
enum FeatureLifecycleView {
    /// One version's statistics for the `column-statistics` partial: row count, when they were made, whether pushes
    /// made them stale, and one row per feature with its summary and histogram.
    /// `isOpen` shows the table unfolded (the newest version).
    static func statistics(_ statistics: FeatureVersionStatistics, isOpen: Bool) -> [String: Any] {
        [
            "number": statistics.version, "isOpen": isOpen, "rowCount": ProjectView.grouped(Int64(statistics.summary.rowCount)),
            "computed": Pages.format(statistics.computedAt), "isStale": statistics.isStale,
            "tableID": "statistics-v\(statistics.version)", "nameHeading": "Feature",
            "columns": statistics.summary.columns.map { named in
                ProjectView.column(column: Column(name: named.name, type: named.statistics.type), statistics: named.statistics)
            },
        ]
    }

    /// The group's lineage: dataset versions ingested, training sets built and model versions trained on them (each
    /// linked to its page), and the materialisation state.
    static func lineage(_ lineage: FeatureGroupLineage, project: String) -> [String: Any] {
        let datasets = "/app/projects/\(project)/datasets"
        return [
            "ingestions": lineage.ingestions.map { ingestion -> [String: Any] in
                [
                    "dataset": ingestion.dataset, "datasetVersion": ingestion.datasetVersion,
                    "href": "\(datasets)/\(ingestion.dataset)/versions/\(ingestion.datasetVersion)", "groupVersion": ingestion.groupVersion,
                    "rowCount": ProjectView.grouped(Int64(ingestion.rowCount)), "skippedCount": ProjectView.grouped(Int64(ingestion.skippedCount)),
                    "hasSkipped": ingestion.skippedCount > 0, "by": actor(ingestion.createdBy), "created": Pages.format(ingestion.createdAt),
                ]
            },
            "hasIngestions": !lineage.ingestions.isEmpty,
            "trainingSets": lineage.trainingSets.map { set -> [String: Any] in
                [
                    "dataset": set.dataset, "version": set.version, "href": "\(datasets)/\(set.dataset)/versions/\(set.version)",
                    "rowCount": ProjectView.grouped(set.rowCount), "created": Pages.format(set.createdAt),
                ]
            },
            "hasTrainingSets": !lineage.trainingSets.isEmpty,
            "models": lineage.models.map { use -> [String: Any] in
                ["model": use.model, "version": use.version, "href": "/app/projects/\(project)/models/\(use.model)/versions/\(use.version)", "created": Pages.format(use.createdAt)]
            },
            "hasModels": !lineage.models.isEmpty,
            "materialized": lineage.materializedAt.map(Pages.format) ?? "never", "isMaterialized": lineage.materializedAt != nil,
            "rowsSince": ProjectView.grouped(Int64(lineage.rowsSinceMaterialization)), "hasRowsSince": lineage.rowsSinceMaterialization > 0,
        ]
    }

    /// Who did something, as the lineage records it (`user:…`, `api_key:…`): a member, an API key, an operator or the
    /// platform.
    static func actor(_ recorded: String) -> String {
        switch recorded.prefix(while: { $0 != ":" }) {
        case "user": "a member"
        case "api_key": "an API key"
        case "operator": "an operator"
        default: "the platform"
        }
    }

    /// A feature service's row: name, the references it lists, description, and its delete action.
    static func service(_ service: FeatureService, project: String) -> [String: Any] {
        [
            "name": service.name, "features": service.features, "featureCount": service.features.count,
            "description": service.description.isEmpty ? "—" : service.description, "updated": Pages.format(service.updatedAt),
            "deleteAction": "/app/projects/\(project)/feature-services/\(service.name)/delete",
        ]
    }

    /// The options of a dataset select: each dataset with its latest version, `selected` chosen.
    static func datasetOptions(_ datasets: [Dataset], selected: String) -> [[String: Any]] {
        datasets.map { dataset in
            [
                "name": dataset.name, "isSelected": dataset.name == selected,
                "label": dataset.name + (dataset.latestVersion.map { " (latest v\($0))" } ?? " (no versions yet)"),
            ]
        }
    }

    /// The options of the feature service select: "—" (none), then each service, `selected` chosen.
    static func serviceOptions(_ services: [FeatureService], selected: String) -> [[String: Any]] {
        [["name": "", "label": "—", "isSelected": selected.isEmpty]]
            + services.map { ["name": $0.name, "label": $0.name, "isSelected": $0.name == selected] }
    }
}
