import Foundation
import Learning
import Platform
import Tabular
import Tenancy

/// View models of the registry pages.
enum ModelViews {
    /// One row of the models table.
    static func row(_ model: RegisteredModel, project: String) -> [String: Any] {
        [
            "name": model.name, "href": "/app/projects/\(project)/models/\(model.name)", "latest": model.latestVersion.map { "v\($0)" } ?? "—",
            "aliases": aliases(model.aliases), "description": model.description, "created": Pages.format(model.createdAt),
            "gates": gatesSummary(model.gates),
        ]
    }

    /// `champion → v3, challenger → v4`.
    static func aliases(_ aliases: [String: Int]) -> String {
        aliases.isEmpty ? "—" : aliases.sorted { $0.key < $1.key }.map { "\($0.key) → v\($0.value)" }.joined(separator: ", ")
    }

    /// The gates in one sentence each.
    static func gateLines(_ gates: PromotionGates) -> [String] {
        var lines = gates.metrics.map { rule -> String in
            var parts: [String] = []
            if let min = rule.min { parts.append("at least \(SVGChart.number(min))") }
            if let max = rule.max { parts.append("at most \(SVGChart.number(max))") }
            if let regression = rule.maxRegression { parts.append("no more than \(SVGChart.number(regression)) worse than \(rule.against ?? "champion")") }
            return "\(rule.metric): " + parts.joined(separator: ", ")
        }
        if gates.requireApproval { lines.append("a member with models.approve other than the requester approves") }
        if gates.compliance { lines.append("compliance checks pass: lineage on record, trained only in allowed regions") }
        return lines
    }

    static func gatesSummary(_ gates: PromotionGates) -> String {
        let lines = gateLines(gates)
        return lines.isEmpty ? "none" : lines.joined(separator: "; ")
    }

    /// The model page.
    static func model(
        _ model: RegisteredModel, versions: [ModelVersion], promotions: [Promotion], project: String, highlighted: UUID?, context: RequestContext,
        names: ActorNames
    ) -> [String: Any] {
        let base = "/app/projects/\(project)/models/\(model.name)"
        let aliasesByVersion = Dictionary(grouping: model.aliases, by: \.value).mapValues { $0.map(\.key).sorted() }
        let highlightedPromotion = promotions.first { $0.id == highlighted }
        let rule = model.gates.metrics.first
        return [
            "model": ["name": model.name, "description": model.description, "aliases": aliases(model.aliases), "created": Pages.format(model.createdAt), "createdBy": names.name(model.createdBy)],
            "versions": versions.map { version -> [String: Any] in
                [
                    "version": version.version, "href": "\(base)/versions/\(version.version)", "aliases": aliasesByVersion[version.version] ?? [],
                    "metrics": metricsLine(version.metrics), "run": version.lineage.run.map { "run \($0.number)" } ?? "upload",
                    "runHref": version.lineage.run.map { "/app/projects/\(project)/runs/\($0.number)" } ?? "", "format": version.format,
                    "registered": Pages.format(version.createdAt), "registeredBy": names.name(version.registeredBy),
                ]
            },
            "hasVersions": !versions.isEmpty,
            "versionChoices": versions.map { ["version": $0.version] },
            "gateLines": gateLines(model.gates), "hasGates": !gateLines(model.gates).isEmpty,
            "gateValues": [
                "metric": rule?.metric ?? "", "min": rule?.min.map(SVGChart.number) ?? "", "max": rule?.max.map(SVGChart.number) ?? "",
                "maxRegression": rule?.maxRegression.map(SVGChart.number) ?? "", "requireApproval": model.gates.requireApproval, "compliance": model.gates.compliance,
            ],
            "canPromote": context.allows(.modelsPromote) && !versions.isEmpty, "canEditGates": context.allows(.modelsApprove),
            "promoteAction": "\(base)/promotions", "gatesAction": "\(base)/gates", "deployAction": "\(base)/deploy",
            "canDeploy": context.allows(.deploymentsWrite) && context.allows(.jobsWrite) && versions.contains { $0.format == "falaj-model" },
            "promotions": promotions.map { promotion(promotion: $0, base: base, context: context, highlighted: highlighted, names: names) },
            "hasPromotions": !promotions.isEmpty,
            "outcome": highlightedPromotion.map { names.describe(outcome($0)) } ?? "", "outcomeIsBad": highlightedPromotion.map { [.blocked, .rejected].contains($0.state) } ?? false,
        ]
    }

    /// What became of a promotion, in a sentence.
    static func outcome(_ promotion: Promotion) -> String {
        switch promotion.state {
        case .applied: "'\(promotion.alias)' now points at version \(promotion.version)."
        case .pending: "Version \(promotion.version) waits for a reviewer before '\(promotion.alias)' moves to it."
        case .blocked: "Blocked: \(promotion.failures). Nothing moved."
        case .rejected: "The promotion of version \(promotion.version) to '\(promotion.alias)' was rejected."
        case .superseded: "Another promotion of '\(promotion.alias)' was applied first."
        }
    }

    static func promotion(promotion: Promotion, base: String, context: RequestContext, highlighted: UUID?, names: ActorNames) -> [String: Any] {
        let badge = switch promotion.state {
        case .applied: "badge ok"
        case .pending: "badge info"
        case .blocked, .rejected: "badge bad"
        case .superseded: "badge warn"
        }
        let isRequester = context.actor.userID.map { promotion.requestedBy == "user:" + $0.uuidString.lowercased() } ?? false
        return [
            "id": promotion.id.uuidString.lowercased(), "version": promotion.version, "alias": promotion.alias, "state": promotion.state.rawValue,
            "badge": badge, "from": promotion.previousVersion.map { "v\($0)" } ?? "none", "reason": promotion.reason,
            "requestedBy": names.name(promotion.requestedBy), "decidedBy": promotion.decidedBy.map(names.name) ?? "", "created": Pages.format(promotion.createdAt),
            "decided": Pages.format(promotion.decidedAt), "isHighlighted": promotion.id == highlighted,
            "gates": promotion.gateResults.map { ["gate": $0.gate, "detail": names.describe($0.detail), "passed": $0.passed] },
            "canReview": promotion.state == .pending && context.allows(.modelsApprove) && !isRequester,
            "isOwnPending": promotion.state == .pending && isRequester,
            "approveAction": "\(base)/promotions/\(promotion.id.uuidString.lowercased())/approve",
            "rejectAction": "\(base)/promotions/\(promotion.id.uuidString.lowercased())/reject",
        ]
    }

    /// The version page.
    static func version(_ version: ModelVersion, model: RegisteredModel, promotions: [Promotion], project: String, names: ActorNames) -> [String: Any] {
        let base = "/app/projects/\(project)/models/\(model.name)"
        let lineage = version.lineage
        return [
            "model": ["name": model.name, "href": base],
            "version": [
                "number": version.version, "format": version.format, "fileName": version.fileName, "size": JobView.bytes(version.sizeBytes),
                "sha256": version.sha256, "registered": Pages.format(version.createdAt), "registeredBy": names.name(version.registeredBy),
                "description": version.description, "download": "\(base)/versions/\(version.version)/file",
                "aliases": model.aliases.filter { $0.value == version.version }.map(\.key).sorted(),
            ],
            "run": lineage.run.map { run -> [String: Any] in
                ["number": run.number, "href": "/app/projects/\(project)/runs/\(run.number)", "experiment": run.experiment, "job": run.job.uuidString.lowercased(), "artifact": run.artifact]
            } ?? false,
            "datasets": lineage.datasets.map { ["name": $0.name, "version": $0.version, "sha256": $0.sha256, "href": "/app/projects/\(project)/datasets/\($0.name)/versions/\($0.version)"] },
            "hasDatasets": !lineage.datasets.isEmpty,
            "featureGroups": lineage.featureGroups.map { "\($0.reference) (group v\($0.groupVersion))" }.joined(separator: ", "),
            "hasFeatureGroups": !lineage.featureGroups.isEmpty,
            "code": lineage.code?.command?.joined(separator: " ") ?? lineage.code?.training.map { "built-in trainer: \(($0.algorithm ?? .boostedTrees).rawValue) → \($0.target)" } ?? "—",
            "params": lineage.params.sorted { $0.key < $1.key }.map { ["name": $0.key, "value": $0.value] }, "hasParams": !lineage.params.isEmpty,
            "metrics": version.metrics.sorted { $0.key < $1.key }.map { ["name": $0.key, "value": SVGChart.number($0.value)] }, "hasMetrics": !version.metrics.isEmpty,
            "signature": version.signature.map { signature -> [String: Any] in
                [
                    "inputs": signature.inputs.map { ["name": $0.name, "type": $0.type.rawValue] }, "output": signature.output.type,
                    "classes": signature.output.classes?.joined(separator: ", ") ?? "",
                ]
            } ?? false,
            "promotions": promotions.map { promotion -> [String: Any] in
                [
                    "alias": promotion.alias, "state": promotion.state.rawValue, "requestedBy": names.name(promotion.requestedBy),
                    "decidedBy": promotion.decidedBy.map(names.name) ?? "—", "created": Pages.format(promotion.createdAt), "failures": names.describe(promotion.failures),
                ]
            },
            "hasPromotions": !promotions.isEmpty,
        ]
    }

    /// `roc_auc 0.91 · accuracy 0.88 …` (at most four).
    static func metricsLine(_ metrics: [String: Double]) -> String {
        let preferred = ["roc_auc", "accuracy", "f1", "r2", "rmse", "mae"]
        let names = preferred.filter { metrics[$0] != nil } + metrics.keys.sorted().filter { !preferred.contains($0) }
        return names.prefix(4).map { "\($0) \(SVGChart.number(metrics[$0]!))" }.joined(separator: " · ")
    }

    /// Gates from the page's form: one metric rule (metric with min, max and/or max_regression), the approval and
    /// compliance checkboxes.
    static func gates(from form: FormData) throws -> PromotionGates {
        func number(_ field: String) throws -> Double? {
            let text = form[field].trimmingCharacters(in: .whitespaces)
            if text.isEmpty { return nil }
            guard let value = Double(text), value.isFinite else { throw PlatformError.invalid(field: field, "'\(text)' is not a number") }
            return value
        }
        var gates = PromotionGates(requireApproval: form["require_approval"] == "on", compliance: form["compliance"] == "on")
        let metric = form["metric"].trimmingCharacters(in: .whitespaces)
        if !metric.isEmpty {
            gates.metrics = [.init(metric: metric, min: try number("min"), max: try number("max"), maxRegression: try number("max_regression"))]
        }
        return gates
    }
}
