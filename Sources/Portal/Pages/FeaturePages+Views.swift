import Foundation
import Platform
import Tabular

/// View models of the feature store pages: the catalog's rows, a group's facts and versions, the developer snippets
/// and the sample lookup. Text is formatted here; the templates escape all of it.
enum FeatureView {
    /// An entity's row: name, join key, key type, description.
    static func entity(_ entity: Entity) -> [String: Any] {
        [
            "name": entity.name, "joinKey": entity.joinKey, "keyType": entity.keyType.rawValue, "description": entity.description,
            "created": Pages.format(entity.createdAt),
        ]
    }

    /// A catalog row: the group with its entity, latest version, feature count, owner, tags, PII badge and freshness.
    static func catalogRow(_ group: FeatureGroup, project: String, latestEventTime: Date?) -> [String: Any] {
        [
            "name": group.name, "href": "/app/projects/\(project)/feature-groups/\(group.name)", "description": group.description,
            "hasDescription": !group.description.isEmpty,
            "entity": group.entity.name, "latestVersion": "v\(group.latestVersion)", "featureCount": group.features.count,
            "owner": group.owner.isEmpty ? "—" : group.owner, "tags": tags(group.tags, project: project), "pii": pii(group.features),
            "freshness": latestEventTime.map(Pages.format) ?? "no data yet", "hasData": latestEventTime != nil,
        ]
    }

    /// Tag badges that link to the catalog filtered by the tag.
    static func tags(_ tags: [String], project: String) -> [[String: String]] {
        tags.map { ["name": $0, "href": "/app/projects/\(project)/features?tag=\(queryEncoded($0))"] }
    }

    /// The badge of the most personal class among `features`: sensitive, personal or none.
    static func pii(_ features: [FeatureDefinition]) -> [String: String] {
        let highest = features.map(\.pii).max { rank($0) < rank($1) } ?? PIIClassification.none
        return piiBadge(highest)
    }

    /// The badge of one PII class: the label and the badge's tone class.
    static func piiBadge(_ pii: PIIClassification) -> [String: String] {
        switch pii {
        case .none: ["label": "no PII", "tone": "ok", "value": pii.rawValue]
        case .personal: ["label": "personal", "tone": "warn", "value": pii.rawValue]
        case .sensitive: ["label": "sensitive", "tone": "bad", "value": pii.rawValue]
        }
    }

    /// The group's catalog metadata and freshness, for the detail page.
    static func group(_ detail: FeatureGroupDetail) -> [String: Any] {
        let group = detail.group
        return [
            "id": group.id.uuidString.lowercased(), "name": group.name, "description": group.description, "hasDescription": !group.description.isEmpty,
            "entity": entity(group.entity), "owner": group.owner.isEmpty ? "—" : group.owner, "source": group.source.isEmpty ? "—" : group.source,
            "hasTags": !group.tags.isEmpty, "eventTimeColumn": group.eventTimeColumn, "ttl": ttl(group.ttlSeconds), "pii": pii(group.features),
            "latestVersion": group.latestVersion, "created": Pages.format(group.createdAt), "updated": Pages.format(group.updatedAt),
            "latestEventTime": detail.latestEventTime.map(Pages.format) ?? "no data yet", "lastWritten": detail.lastWrittenAt.map(Pages.format) ?? "never",
            "onlineEntities": ProjectView.grouped(Int64(detail.onlineEntityCount)),
        ]
    }

    /// One version with its feature table; the latest is shown open.
    static func version(_ version: FeatureGroupVersion, latest: Int) -> [String: Any] {
        [
            "number": version.version, "isLatest": version.version == latest, "created": Pages.format(version.createdAt),
            "featureCount": version.features.count,
            "features": version.features.map { feature in
                [
                    "name": feature.name, "type": feature.type.rawValue, "pii": piiBadge(feature.pii),
                    "description": feature.description.isEmpty ? "—" : feature.description,
                ] as [String: Any]
            },
        ]
    }

    /// A push body a developer can start from: one row with the join key, the event time and every feature.
    static func samplePush(_ group: FeatureGroup) -> String {
        let key = group.entity.keyType == .int ? "1042" : "\"c-1042\""
        let fields = ["\"\(group.entity.joinKey)\":\(key)", "\"\(group.eventTimeColumn)\":\"2026-01-31T12:00:00Z\""]
            + group.features.prefix(6).map { "\"\($0.name)\":\(sampleValue($0.type))" }
        return "{\"rows\":[{" + fields.joined(separator: ",") + "}]}"
    }

    /// An online read of the whole group for one entity, as the API takes it.
    static func sampleRead(_ group: FeatureGroup, project: String) -> String {
        let key = group.entity.keyType == .int ? "1042" : "\"c-1042\""
        return "{\"project\":\"\(project)\",\"entity_rows\":[{\"\(group.entity.joinKey)\":\(key)}],\"features\":[\"\(group.name):*\"]}"
    }

    /// The sample lookup's answer for `key`: each feature's value, status and event time, or that nothing was found.
    static func lookup(key: String, features: [String], result: FeatureStore.OnlineResult, ttlSeconds: Int64?) -> [String: Any] {
        let rows = features.map { reference -> [String: Any] in
            let value = result.values[reference]
            let status = value?.status ?? .missing
            return [
                "feature": String(reference.split(separator: ":", maxSplits: 1).last ?? ""), "value": value.map { text($0.value) } ?? "",
                "isNull": value?.value.isNull ?? true, "status": status.rawValue,
                "tone": status == .present ? "ok" : status == .expired ? "warn" : "", "eventTime": instant(value?.eventTime),
            ]
        }
        let isExpired = result.isFound && result.values.values.allSatisfy { $0.status == .expired }
        return [
            "key": key, "isFound": result.isFound, "isExpired": isExpired, "rows": rows, "ttl": ttl(ttlSeconds),
            "eventTime": instant(result.values.values.compactMap(\.eventTime).max()),
        ]
    }

    /// A value as text: numbers as written, timestamps in RFC 3339, null as `null`.
    static func text(_ value: TabularValue) -> String {
        switch value {
        case .null: "null"
        case .int(let number): String(number)
        case .float(let number): String(number)
        case .bool(let flag): flag ? "true" : "false"
        case .string(let text): text
        case .timestamp(let microseconds): TimestampText.format(microseconds: microseconds)
        }
    }

    /// `86,400 s (1 day)`, or `never expires` without a time to live.
    static func ttl(_ seconds: Int64?) -> String {
        guard let seconds else { return "never expires" }
        let units: [(Int64, String)] = [(86_400, "day"), (3_600, "hour"), (60, "minute")]
        guard let (size, name) = units.first(where: { seconds >= $0.0 && seconds % $0.0 == 0 }) else { return "\(ProjectView.grouped(seconds)) s" }
        let count = seconds / size
        return "\(ProjectView.grouped(seconds)) s (\(ProjectView.grouped(count)) \(name)\(count == 1 ? "" : "s"))"
    }

    /// A date to the second: `2026-02-01 00:00:00 UTC`, or `—`.
    static func instant(_ date: Date?) -> String {
        guard let date else { return "—" }
        return String(date.ISO8601Format().prefix(19)).replacingOccurrences(of: "T", with: " ") + " UTC"
    }

    /// `text` for a query value (`&`, `=`, `+`, `#` and spaces encoded).
    static func queryEncoded(_ text: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+#;")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    private static func rank(_ pii: PIIClassification) -> Int { PIIClassification.allCases.firstIndex(of: pii) ?? 0 }

    private static func sampleValue(_ type: ColumnType) -> String {
        switch type {
        case .int: "42"
        case .float: "0.5"
        case .bool: "true"
        case .string: "\"text\""
        case .timestamp: "\"2026-01-31T12:00:00Z\""
        case .category: "\"gold\""
        }
    }
}
