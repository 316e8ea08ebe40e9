import Foundation
/// The rules for feature group definitions, with field names as the API spells them.
enum FeatureGroupValidation {
    /// The most features one version may have.
    static let maximumFeatures = 500

    /// Checks the form's own fields (everything but what needs the entity).
    static func validate(_ form: FeatureGroupForm) throws(PlatformError) {
        var errors: [String: String] = [:]
        if let problem = PlatformName.datasetNameProblem(form.name) { errors["name"] = problem.replacingOccurrences(of: "a dataset name", with: "a feature group name") }
        if form.description.count > 2000 { errors["description"] = "Keep the description under 2,000 characters" }
        if form.owner.count > 200 { errors["owner"] = "Keep the owner under 200 characters" }
        if form.source.count > 200 { errors["source"] = "Keep the source under 200 characters" }
        if form.tags.count > 20 || form.tags.contains(where: { $0.isEmpty || $0.count > 40 }) {
            errors["tags"] = "Use at most 20 tags of 1–40 characters"
        }
        if let problem = FeatureNames.columnProblem(form.eventTimeColumn, what: "The event-time column") { errors["event_time_column"] = problem }
        if let ttl = form.ttlSeconds, ttl <= 0 { errors["ttl_seconds"] = "Give the time to live in seconds (at least 1), or leave it out for values that never expire" }
        do {
            try validateFeatures(form.features)
        } catch .invalidFields(let fields) {
            errors.merge(fields) { first, _ in first }
        } catch {
            throw error
        }
        guard errors.isEmpty else { throw .invalidFields(errors) }
    }

    /// Checks a feature list: 1–500 features with valid, distinct names and descriptions under 2,000 characters.
    static func validateFeatures(_ features: [FeatureDefinition]) throws(PlatformError) {
        guard (1...maximumFeatures).contains(features.count) else {
            throw .invalid(field: "features", "Define 1–\(maximumFeatures) features")
        }
        var errors: [String: String] = [:]
        var seen: Set<String> = []
        for (index, feature) in features.enumerated() {
            if let problem = FeatureNames.columnProblem(feature.name, what: "The feature name") {
                errors["features[\(index)].name"] = problem
            } else if !seen.insert(feature.name).inserted {
                errors["features[\(index)].name"] = "The feature '\(feature.name)' appears twice"
            }
            if feature.description.count > 2000 { errors["features[\(index)].description"] = "Keep the description under 2,000 characters" }
        }
        guard errors.isEmpty else { throw .invalidFields(errors) }
    }

    /// Checks that no feature takes the entity's join key or the event-time column as its name.
    static func check(_ features: [FeatureDefinition], entity: Entity, eventTimeColumn: String) throws(PlatformError) {
        for (index, feature) in features.enumerated() where feature.name == entity.joinKey || feature.name == eventTimeColumn {
            throw .invalid(field: "features[\(index)].name", "'\(feature.name)' is the \(feature.name == entity.joinKey ? "entity's join key" : "event-time column"); name the feature otherwise")
        }
        if eventTimeColumn == entity.joinKey {
            throw .invalid(field: "event_time_column", "The event-time column cannot be the entity's join key '\(entity.joinKey)'")
        }
    }
}
