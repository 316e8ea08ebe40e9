import ComputeAgents
import Foundation
import Learning
import Platform
import Tabular
import Tenancy

/// View models of the serving pages.
enum DeploymentViews {
    /// One row of the deployments table.
    static func row(_ deployment: Deployment) -> [String: Any] {
        [
            "name": deployment.name, "href": "/app/deployments/\(deployment.name)", "project": deployment.project, "state": deployment.state,
            "badge": deployment.state == "active" ? "badge ok" : "badge warn", "endpoint": "/v1/predict/\(deployment.name)",
            "variants": deployment.variants.map { variant in
                "\(variant.name): \(variant.model) v\(variant.version) \(variant.weight)% · \(variant.replicas.filter(\.isServing).count)/\(variant.replicaCount) serving"
            }.joined(separator: "; "),
        ]
    }

    /// The deployment page.
    static func detail(_ deployment: Deployment, inputs: [Column], values: [String: String], canSeeJobs: Bool) -> [String: Any] {
        [
            "deployment": row(deployment),
            "variants": deployment.variants.map { variant -> [String: Any] in
                var view: [String: Any] = [
                    "name": variant.name, "model": variant.model, "version": variant.version, "weight": variant.weight, "shadow": variant.isShadow,
                    "modelHref": "/app/projects/\(deployment.project)/models/\(variant.model)/versions/\(variant.version)",
                    "replicas": variant.replicas.map { replica -> [String: Any] in
                        var view: [String: Any] = [
                            "job": String(replica.jobID.uuidString.lowercased().prefix(8)), "jobHref": "/app/jobs/\(replica.jobID.uuidString.lowercased())",
                            "canSeeJob": canSeeJobs, "state": replica.state.rawValue, "serving": replica.isServing, "url": replica.url ?? "—",
                            "message": replica.message,
                        ]
                        if replica.role != "current" { view["role"] = "\(replica.role) v\(replica.version)" }
                        return view
                    },
                ]
                if let rollout = variant.rolloutVersion { view["rolloutVersion"] = "rolling out v\(rollout)" }
                return view
            },
            "inputs": inputs.map { ["name": $0.name, "type": $0.type.rawValue, "value": values[$0.name] ?? ""] },
            "firstModel": deployment.variants.first?.model ?? "",
            "canAddVariant": deployment.variants.count < 5,
        ]
    }

    /// The inputs of the first variant's version (all variants of a deployment predict the same target).
    static func inputs(of deployment: Deployment, platform: PlatformServices, context: RequestContext) async throws -> [Column] {
        guard let variant = deployment.variants.first, context.allows(.modelsRead) else { return [] }
        let versions = try await platform.models.get(variant.model, project: deployment.project, context: context).1
        return versions.first { $0.version == variant.version }?.signature?.inputs ?? []
    }

    /// A prediction row from the try-it form: each input converted to its type; an empty field is a missing value.
    static func row(from form: FormData, inputs: [Column]) -> [String: Any] {
        var row: [String: Any] = [:]
        for input in inputs {
            let text = form[input.name].trimmingCharacters(in: .whitespaces)
            switch input.type {
            case _ where text.isEmpty: row[input.name] = NSNull()
            case .int: row[input.name] = Int64(text).map { $0 as Any } ?? text
            case .float: row[input.name] = Double(text).map { $0 as Any } ?? text
            case .bool: row[input.name] = ["true": true, "false": false][text.lowercased()].map { $0 as Any } ?? text
            default: row[input.name] = text
            }
        }
        return row
    }

    /// The try-it answer for the page: the variant and prediction, or the errors.
    static func result(_ body: [UInt8], status: Int) -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            return ["isError": true, "text": "The model answered \(status)"]
        }
        if status != 200 {
            let errors = (object["errors"] as? [[String: Any]] ?? []).map { "\($0["field"] ?? "?"): \($0["detail"] ?? "")" }
            return ["isError": true, "text": ([object["detail"] as? String ?? "Refused"] + errors).joined(separator: " · ")]
        }
        let prediction = (object["predictions"] as? [[String: Any]])?.first ?? [:]
        let probabilities = (prediction["probabilities"] as? [String: Double] ?? [:]).sorted { $0.key < $1.key }
            .map { "\($0.key) \(String(format: "%.3f", $0.value))" }.joined(separator: " · ")
        return [
            "isError": false, "variant": object["variant"] as? String ?? "", "version": object["version"] as? Int ?? 0,
            "label": prediction["label"] as? String ?? "", "probabilities": probabilities, "requestID": object["request_id"] as? String ?? "",
        ]
    }

    /// Charts of the recent traffic per variant: requests a second, p99 latency and the share of failed answers; x is
    /// seconds since the first bucket.
    static func charts(_ timeline: DeploymentTimeline) -> [[String: Any]] {
        let origin = timeline.variants.values.compactMap(\.first?.start).min() ?? Date()
        func lines(_ value: (DeploymentTimeline.Bucket) -> Double) -> [SVGChart.Line] {
            timeline.variants.sorted { $0.key < $1.key }.map { name, buckets in
                SVGChart.Line(name: name, points: buckets.map { ($0.start.timeIntervalSince(origin), value($0)) })
            }
        }
        let width = Double(timeline.bucketSeconds)
        return [
            SVGChart.chart(title: "requests per second", lines { Double($0.requests) / width }),
            SVGChart.chart(title: "p99 latency (ms)", lines { $0.p99Milliseconds }),
            SVGChart.chart(title: "failed answers (%)", lines { Double($0.errors) * 100 / Double(max($0.requests, 1)) }),
        ].compactMap { $0 }
    }

    /// The results section: per-variant figures and each comparison with the control in words.
    static func results(_ results: DeploymentResults) -> [String: Any] {
        func format(_ value: Double?, _ pattern: String) -> String { value.map { String(format: pattern, $0) } ?? "—" }
        let variants = results.variants.map { variant -> [String: Any] in
            [
                "name": variant.name, "version": variant.version, "weight": variant.weight, "requests": variant.requests, "errors": variant.errors,
                "p50": format(variant.p50Milliseconds, "%.1f ms"), "p99": format(variant.p99Milliseconds, "%.1f ms"), "labelled": variant.labelled,
                "accuracy": format(variant.accuracy.map { $0 * 100 }, "%.1f%%"), "outcome": format(variant.outcomeMean, "%.3g"),
            ]
        }
        let sentences = results.comparisons.map { comparison -> String in
            var parts: [String] = []
            if let accuracy = comparison.accuracy {
                parts.append(String(
                    format: "accuracy %+.1f points (95%% interval %+.1f to %+.1f, p = %.3g)%@", accuracy.difference * 100, accuracy.lower * 100,
                    accuracy.upper * 100, accuracy.pValue, accuracy.isSignificant ? ", significant" : ", not significant"))
            }
            if let outcome = comparison.outcome {
                parts.append(String(
                    format: "mean outcome %+.3g (95%% interval %+.3g to %+.3g, p = %.3g)%@", outcome.difference, outcome.lower, outcome.upper, outcome.pValue,
                    outcome.isSignificant ? ", significant" : ", not significant"))
            }
            if let needed = comparison.labelsNeeded { parts.append("about \(needed) labelled predictions per variant are needed to see a 5-point change") }
            return "\(comparison.variant) against \(comparison.control): " + (parts.isEmpty ? "no feedback yet" : parts.joined(separator: "; "))
        }
        return ["variants": variants, "comparisons": sentences, "hasComparisons": !sentences.isEmpty]
    }
}
