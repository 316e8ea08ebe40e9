import Foundation
import Platform

/// Feature references typed one per line (`group:feature` or `group:*`), with the textarea line of each, so that a
/// platform error about `features[i]` can name the line it came from.
struct FeatureReferenceLines {
    /// The references in order, blank lines left out and spaces trimmed.
    let references: [String]
    /// The 1-based textarea line of each reference.
    private let lines: [Int]

    /// Splits `text` into lines (`\n` or `\r\n`).
    init(_ text: String) {
        var references: [String] = []
        var lines: [Int] = []
        for (offset, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty else { continue }
            references.append(line)
            lines.append(offset + 1)
        }
        (self.references, self.lines) = (references, lines)
    }

    /// The view members of a refused form: its `values`, the field errors, the feature errors (by line where the
    /// platform named a reference by index) and the message above the form.
    func failure(_ error: PlatformError, values: [String: String]) -> [String: Any] {
        guard case .invalidFields(let fields) = error else { return ["values": values, "errors": [String: String](), "formError": error.description] }
        var errors: [String: String] = [:]
        var featureErrors: [(line: Int, message: String)] = []
        for (field, message) in fields {
            if field.hasPrefix("features["), let index = Int(field.dropFirst(9).prefix(while: \.isNumber)), lines.indices.contains(index) {
                featureErrors.append((lines[index], "Line \(lines[index]): \(message)"))
            } else if field.hasPrefix("features") {
                featureErrors.append((0, message))
            } else {
                errors[field] = message
            }
        }
        return [
            "values": values, "errors": errors, "formError": "Please correct the highlighted fields.",
            "featureErrors": featureErrors.sorted { ($0.line, $0.message) < ($1.line, $1.message) }.map(\.message),
        ]
    }
}

/// The "ingest a dataset" form of a group's page: the dataset, an optional version (empty: the newest) and whether
/// to load the new rows into the online store (a checkbox, on by default).
struct FeatureIngestFormInput {
    /// What an empty form shows.
    static let defaults = ["dataset": "", "version": "", "materialize": "1"]

    /// Each field as typed (`materialize` is `1` when checked, else empty).
    let values: [String: String]
    /// The dataset's name.
    let dataset: String
    /// The version asked for; nil for the newest.
    private(set) var version: Int?
    /// True when the rows go on to the online store.
    let isMaterializing: Bool
    /// Problems found before the platform sees the form (a version that is not a number).
    private(set) var problems: [String: String] = [:]

    /// Parses the submitted fields.
    init(_ data: FormData) {
        values = ["dataset": data["dataset"], "version": data["version"], "materialize": data["materialize"] == "1" ? "1" : ""]
        dataset = data["dataset"].trimmingCharacters(in: .whitespaces)
        isMaterializing = data["materialize"] == "1"
        if dataset.isEmpty { problems["dataset"] = "Choose the dataset to ingest" }
        let version = data["version"].trimmingCharacters(in: .whitespaces)
        if !version.isEmpty {
            if let number = Int(version), number > 0 { self.version = number } else {
                problems["version"] = "Give the version as a whole number, or leave it empty for the newest"
            }
        }
    }
}

/// The "save a feature service" form of the catalog: name, description and the features, one per line.
struct FeatureServiceFormInput {
    /// The form's field names.
    static let fields = ["name", "description", "features"]

    /// Each field as typed.
    let values: [String: String]
    /// The name and description, trimmed.
    let name: String, description: String
    /// The feature references with their lines.
    let references: FeatureReferenceLines

    /// Parses the submitted fields.
    init(_ data: FormData) {
        values = Dictionary(uniqueKeysWithValues: Self.fields.map { ($0, data[$0]) })
        name = data["name"].trimmingCharacters(in: .whitespaces)
        description = data["description"].trimmingCharacters(in: .whitespacesAndNewlines)
        references = FeatureReferenceLines(data["features"])
    }
}

/// The "build a training set" form of the catalog: the entity dataset and version, its timestamp column, either
/// features (one per line) or a feature service, and the output dataset.
struct TrainingSetFormInput {
    /// The form's field names.
    static let fields = ["entity_dataset", "entity_version", "timestamp_column", "features", "feature_service", "output"]
    /// What an empty form shows.
    static let defaults = ["timestamp_column": "event_time"]

    /// Each field as typed.
    let values: [String: String]
    /// The platform's request built from the fields.
    private(set) var request: TrainingSetRequest
    /// The feature references with their lines.
    let references: FeatureReferenceLines
    /// Problems found before the platform sees the form (no entity dataset, a version that is not a number).
    private(set) var problems: [String: String] = [:]

    /// Parses the submitted fields for `project`.
    init(_ data: FormData, project: String) {
        values = Dictionary(uniqueKeysWithValues: Self.fields.map { ($0, data[$0]) })
        references = FeatureReferenceLines(data["features"])
        let service = data["feature_service"].trimmingCharacters(in: .whitespaces)
        request = TrainingSetRequest(
            project: project, entityDataset: data["entity_dataset"].trimmingCharacters(in: .whitespaces),
            timestampColumn: data["timestamp_column"].trimmingCharacters(in: .whitespaces), features: references.references,
            featureService: service.isEmpty ? nil : service, output: data["output"].trimmingCharacters(in: .whitespaces)
        )
        if request.entityDataset.isEmpty { problems["entity_dataset"] = "Choose the dataset that holds the entity rows" }
        if request.timestampColumn.isEmpty { problems["timestamp_column"] = "Name the entity rows' timestamp column" }
        let version = data["entity_version"].trimmingCharacters(in: .whitespaces)
        if !version.isEmpty {
            if let number = Int(version), number > 0 { request.entityVersion = number } else {
                problems["entity_version"] = "Give the version as a whole number, or leave it empty for the newest"
            }
        }
    }
}
