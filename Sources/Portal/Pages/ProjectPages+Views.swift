import Foundation
import Platform
import Tabular

/// View models of the projects pages. Numbers are formatted here; histograms become bar rectangles the template draws
/// as SVG (no markup is built in Swift). ``column(column:statistics:)`` is shared with the feature group page, which
/// draws its per-feature statistics with the same `column-statistics` partial.
enum ProjectView {
    /// A project's name, URL name, description and creation date.
    static func project(_ project: Project) -> [String: Any] {
        [
            "slug": project.slug, "name": project.name, "description": project.description, "hasDescription": !project.description.isEmpty,
            "created": Pages.format(project.createdAt),
        ]
    }

    /// A dataset's row: name, description, link, latest version and creation date.
    static func dataset(_ dataset: Dataset, project: String) -> [String: Any] {
        [
            "name": dataset.name, "description": dataset.description, "hasDescription": !dataset.description.isEmpty,
            "href": "/app/projects/\(project)/datasets/\(dataset.name)", "latestVersion": dataset.latestVersion.map { "v\($0)" } ?? "no versions yet",
            "created": Pages.format(dataset.createdAt),
        ]
    }

    /// A row of the versions table: link, download, counts, size, source and whether it is the version shown.
    static func versionRow(_ version: DatasetVersion, project: String, dataset: String, shown: Int?) -> [String: Any] {
        let base = "/app/projects/\(project)/datasets/\(dataset)/versions/\(version.version)"
        return [
            "number": version.version, "href": base, "download": base + "/content", "isShown": version.version == shown,
            "rows": grouped(version.rowCount), "rejected": grouped(version.rejectedCount), "hasRejected": version.rejectedCount > 0,
            "columns": version.columns.count, "size": bytes(version.sizeBytes), "source": version.sourceName.isEmpty ? version.sourceFormat.rawValue : version.sourceName,
            "created": Pages.format(version.createdAt),
        ]
    }

    /// One version shown in full: the schema with statistics (the `column-statistics` partial's `tableID`,
    /// `nameHeading` and `columns`), the first rows, the rows left out and, for a training set, its lineage.
    static func detail(_ detail: DatasetVersionDetail, project: String, dataset: String) -> [String: Any] {
        let version = detail.version
        let statistics = Dictionary(detail.statistics.map { ($0.name, $0.statistics) }, uniquingKeysWith: { first, _ in first })
        return [
            "lineage": version.lineage.map { lineage($0, project: project) as Any } ?? false,
            "tableID": "schema-table", "nameHeading": "Column",
            "number": version.version, "rows": grouped(version.rowCount), "rejected": grouped(version.rejectedCount),
            "sha256": version.sha256, "download": "/app/projects/\(project)/datasets/\(dataset)/versions/\(version.version)/content",
            "columns": version.columns.map { column(column: $0, statistics: statistics[$0.name]) },
            "header": version.columns.map(\.name),
            "preview": detail.preview.map { row in row.map { ["value": $0 ?? "", "isMissing": $0 == nil] } },
            "hasPreview": !detail.preview.isEmpty,
            "rejections": detail.rejections.map { ["line": $0.line, "column": $0.column ?? "—", "reason": $0.reason] },
            "hasRejections": !detail.rejections.isEmpty,
            "moreRejections": version.rejectedCount > Int64(detail.rejections.count)
                ? "… and \(grouped(version.rejectedCount - Int64(detail.rejections.count))) more" : "",
        ]
    }

    /// Where a training set came from: the entity dataset version (linked), its timestamp column, the cut-off, the
    /// feature service if one was named, and each joined feature with the output column and group version it came from.
    static func lineage(_ lineage: DatasetLineage, project: String) -> [String: Any] {
        let entities = lineage.entities
        return [
            "isTrainingSet": lineage.kind == "training_set", "kind": lineage.kind.replacingOccurrences(of: "_", with: " "),
            "entityDataset": entities.dataset, "entityVersion": entities.version,
            "entityHref": "/app/projects/\(project)/datasets/\(entities.dataset)/versions/\(entities.version)",
            "timestampColumn": entities.timestampColumn, "cutoff": FeatureView.instant(lineage.cutoff),
            "hasFeatureService": lineage.featureService != nil, "featureService": lineage.featureService ?? "",
            "featureServiceHref": "/app/projects/\(project)/features#services",
            "features": lineage.features.map { feature -> [String: Any] in
                let group = String(feature.reference.prefix { $0 != ":" })
                return [
                    "reference": feature.reference, "column": feature.column, "groupVersion": feature.groupVersion,
                    "groupHref": "/app/projects/\(project)/feature-groups/\(group)",
                ]
            },
        ]
    }

    /// One column's row of the schema table: type, missing share, distinct count, a one-line summary and a histogram.
    static func column(column: Column, statistics: ColumnStatistics?) -> [String: Any] {
        var model: [String: Any] = ["name": column.name, "type": column.type.rawValue]
        guard let statistics else { return model }
        let missingShare = statistics.count > 0 ? Double(statistics.missing) / Double(statistics.count) * 100 : 0
        model["missing"] = "\(grouped(Int64(statistics.missing))) (\(String(format: "%.1f", missingShare))%)"
        model["distinct"] = (statistics.isDistinctCountExact ? "" : "≈") + grouped(Int64(statistics.distinctCount))
        if let numeric = statistics.numeric {
            model["summary"] = "mean \(number(numeric.mean)) · sd \(number(numeric.standardDeviation)) · min \(number(numeric.minimum)) · max \(number(numeric.maximum))"
            model["histogram"] = histogram(numeric.histogram, label: column.name)
        } else if let timestamp = statistics.timestamp {
            model["summary"] = "\(instant(timestamp.minimum)) → \(instant(timestamp.maximum))"
            model["histogram"] = histogram(timestamp.histogram, label: column.name)
        } else if let boolean = statistics.boolean {
            model["summary"] = "true \(grouped(Int64(boolean.trueCount))) · false \(grouped(Int64(boolean.falseCount)))"
        } else if let text = statistics.text {
            let lengths = text.minimumLength == text.maximumLength ? "\(text.minimumLength)" : "\(text.minimumLength)–\(text.maximumLength)"
            if (text.frequentValues.first?.count ?? 0) <= 1 {
                model["summary"] = "every value different · \(lengths) characters"
            } else {
                model["summary"] = text.frequentValues.prefix(5).map { "\($0.value.prefix(30)) (\(grouped(Int64($0.count))))" }.joined(separator: ", ")
            }
        }
        return model
    }

    /// Bars of a histogram in a 160 × 40 box, tallest bin full height.
    static func histogram(_ histogram: ColumnStatistics.Histogram, label: String) -> [String: Any]? {
        guard !histogram.counts.isEmpty, let tallest = histogram.counts.max(), tallest > 0 else { return nil }
        let (width, height) = (160.0, 40.0)
        let barWidth = width / Double(histogram.counts.count)
        let bars = histogram.counts.enumerated().map { index, count -> [String: String] in
            let barHeight = max(count > 0 ? 1 : 0, Double(count) / Double(tallest) * height)
            return [
                "x": String(format: "%.2f", Double(index) * barWidth), "y": String(format: "%.2f", height - barHeight),
                "width": String(format: "%.2f", max(barWidth - 1, 1)), "height": String(format: "%.2f", barHeight),
            ]
        }
        return [
            "bars": bars, "width": Int(width), "height": Int(height),
            "label": "Histogram of \(label): \(histogram.counts.count) bins from \(number(histogram.lowerBound)) to \(number(histogram.upperBound))",
        ]
    }

    /// A timestamp for a summary: the date alone at midnight UTC, else date and time without the `T`.
    static func instant(_ microseconds: Int64) -> String {
        let text = TimestampText.format(microseconds: microseconds)
        if text.hasSuffix("T00:00:00Z") { return String(text.dropLast(10)) }
        return text.replacingOccurrences(of: "T", with: " ")
    }

    /// `1,234,567`.
    static func grouped(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result += "," }
            result.append(character)
        }
        return (value < 0 ? "-" : "") + result
    }

    /// A short number: up to 4 significant digits, exponent form for very large or small magnitudes.
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return grouped(Int64(value)) }
        return abs(value) >= 1e6 || abs(value) < 1e-3 ? String(format: "%.3g", value) : String(format: "%.4g", value)
    }

    /// `1.2 MB`.
    static func bytes(_ count: Int64) -> String {
        ByteCountFormatter.string(fromByteCount: count, countStyle: .file)
    }
}
