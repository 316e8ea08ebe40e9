import Foundation
import Platform
import Tabular

/// The "new feature group" form as submitted: the fields to show again, the ``FeatureGroupForm`` they make, and the
/// problems found before the platform sees it (a TTL that is not a number, feature lines that do not parse).
/// Features are one `name:type[:pii]` per line; errors about a feature name its line.
struct FeatureGroupFormInput {
    /// The form's field names.
    static let fields = ["name", "entity", "description", "owner", "tags", "source", "event_time_column", "ttl_seconds", "features"]

    /// What an empty form shows.
    static let defaults = ["event_time_column": "event_time"]

    /// Each field as typed.
    let values: [String: String]
    /// The platform's form built from the fields (features from the lines that parsed).
    private(set) var form: FeatureGroupForm
    /// Problems found while parsing, keyed like the platform's field errors (`ttl_seconds`, `features…`).
    private(set) var problems: [String: String] = [:]
    /// The 1-based textarea line of each parsed feature.
    private var lines: [Int] = []

    /// Parses the submitted fields.
    init(_ data: FormData) {
        values = Dictionary(uniqueKeysWithValues: Self.fields.map { ($0, data[$0]) })
        let tags = data["tags"].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        form = FeatureGroupForm(
            name: data["name"].trimmingCharacters(in: .whitespaces), entity: data["entity"], features: [],
            description: data["description"].trimmingCharacters(in: .whitespacesAndNewlines), owner: data["owner"].trimmingCharacters(in: .whitespaces),
            tags: tags, source: data["source"].trimmingCharacters(in: .whitespaces),
            eventTimeColumn: data["event_time_column"].trimmingCharacters(in: .whitespaces)
        )
        let ttl = data["ttl_seconds"].trimmingCharacters(in: .whitespaces)
        if !ttl.isEmpty {
            if let seconds = Int64(ttl) { form.ttlSeconds = seconds } else {
                problems["ttl_seconds"] = "Give the time to live as a whole number of seconds, or leave it empty for values that never expire"
            }
        }
        parseFeatures(data["features"])
    }

    private mutating func parseFeatures(_ text: String) {
        for (offset, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty else { continue }
            let number = offset + 1
            let parts = line.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard (2...3).contains(parts.count) else {
                problems["features@\(number)"] = "Line \(number): write name:type or name:type:pii, such as age:int:personal"
                continue
            }
            guard let type = ColumnType(rawValue: parts[1].lowercased()) else {
                let types = ColumnType.allCases.map(\.rawValue).joined(separator: ", ")
                problems["features@\(number)"] = "Line \(number): '\(parts[1].prefix(30))' is not a type; use \(types)"
                continue
            }
            var pii = PIIClassification.none
            if parts.count == 3, !parts[2].isEmpty {
                guard let classification = PIIClassification(rawValue: parts[2].lowercased()) else {
                    problems["features@\(number)"] = "Line \(number): '\(parts[2].prefix(30))' is not a PII class; use none, personal or sensitive"
                    continue
                }
                pii = classification
            }
            form.features.append(FeatureDefinition(name: parts[0], type: type, pii: pii))
            lines.append(number)
        }
        if form.features.isEmpty && problems.isEmpty { problems["features"] = "Define at least one feature, one name:type[:pii] per line" }
    }

    /// The view members of the form after `error`: the values, field errors, feature errors by line, and the message.
    func failure(_ error: PlatformError) -> [String: Any] {
        guard case .invalidFields(let fields) = error else { return ["values": values, "errors": [String: String](), "formError": error.description] }
        var errors: [String: String] = [:]
        var featureErrors: [(line: Int, message: String)] = []
        for (field, message) in fields {
            if field.hasPrefix("features@") {
                featureErrors.append((Int(field.dropFirst(9)) ?? 0, message))
            } else if field.hasPrefix("features["), let index = Int(field.dropFirst(9).prefix { $0.isNumber }), lines.indices.contains(index) {
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
