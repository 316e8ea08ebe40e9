import AgentProtocol
import ComputeAgents
import Foundation
import Learning
import Platform
import Tabular

/// View models of the training pages.
enum TrainingViews {
    /// The "Train a model" panel of a dataset version: the columns a target may be, the algorithms, the defaults.
    static func trainForm(_ version: DatasetVersion, project: String, dataset: String) -> [String: Any] {
        let targets = version.columns.filter { $0.type != .timestamp }
        let preferred = targets.last { ["bool", "category"].contains($0.type.rawValue) } ?? targets.last
        return [
            "action": "/app/projects/\(project)/datasets/\(dataset)/train", "version": version.version,
            "targets": targets.map { ["name": $0.name, "type": $0.type.rawValue, "isSelected": $0.name == preferred?.name] },
            "hasTargets": !targets.isEmpty,
        ]
    }

    /// One row of the runs table.
    static func row(_ run: RunSummary, project: String, names: ActorNames) -> [String: Any] {
        let shown = ["roc_auc", "accuracy", "r2", "rmse", "f1"].compactMap { name in run.finalMetrics[name].map { "\(name) \(SVGChart.number($0))" } }
        let others = run.finalMetrics.keys.sorted().filter { !["roc_auc", "accuracy", "r2", "rmse", "f1"].contains($0) }.prefix(max(0, 3 - shown.count))
            .map { "\($0) \(SVGChart.number(run.finalMetrics[$0]!))" }
        return [
            "number": run.number, "title": run.title, "href": "/app/projects/\(project)/runs/\(run.number)", "experiment": run.experiment,
            "kind": run.kind == "builtin" ? "built-in" : "command", "state": run.state.rawValue, "badge": JobView.badge(run.state),
            "algorithm": run.params["algorithm"] ?? "", "target": run.params["target"] ?? "",
            "dataset": run.inputs.dataset.map { "\($0.name) v\($0.version)" } ?? "—", "metrics": (shown + others).joined(separator: " · "),
            "created": Pages.format(run.createdAt), "createdBy": names.name(run.createdBy),
        ]
    }

    /// The run page.
    static func detail(_ detail: RunDetail, project: String, canSeeJob: Bool, names: ActorNames) -> [String: Any] {
        let run = detail.summary
        let report = detail.report
        let progress = detail.job.events.last { $0.report.kind == .progress }?.report.value ?? (run.state == .succeeded ? 1 : 0)
        let heldOut = (report?.metrics ?? run.finalMetrics).sorted { $0.key < $1.key }.map { ["name": $0.key, "value": SVGChart.number($0.value)] }
        var charts: [[String: Any]] = []
        let losses = ["training_loss", "validation_loss"].compactMap { name in
            detail.metrics[name].map { SVGChart.Line(name: name, points: $0.map { (Double($0.step), $0.value) }) }
        }
        if let chart = SVGChart.chart(title: "loss per iteration", losses, width: 480, height: 180) { charts.append(chart) }
        for (name, points) in detail.metrics.sorted(by: { $0.key < $1.key }) where !["training_loss", "validation_loss"].contains(name) {
            if let chart = SVGChart.chart(title: name, [SVGChart.Line(name: name, points: points.map { (Double($0.step), $0.value) })]) { charts.append(chart) }
        }
        let artifacts = detail.job.artifacts.map { artifact -> [String: Any] in
            [
                "path": artifact.path, "size": JobView.bytes(artifact.sizeBytes),
                "href": canSeeJob ? JobsAPI.artifactPath(job: run.jobID, path: artifact.path).replacingOccurrences(of: "/api/v1/jobs/", with: "/app/jobs/") : "",
                "canDownload": canSeeJob, "isModel": artifact.path == BuiltinTrainingJob.modelFileName,
            ]
        }
        let defaultModel = [run.inputs.dataset?.name, run.params["target"]].compactMap { $0 }.joined(separator: "-")
        var facts: [String: Any] = [
            "number": run.number, "title": run.title, "state": run.state.rawValue, "badge": JobView.badge(run.state), "isFinal": run.state.isFinal,
            "experiment": run.experiment, "kind": run.kind == "builtin" ? "Built-in trainer" : "Custom command", "message": run.message,
        ]
        facts["hasMessage"] = !run.message.isEmpty && run.state != .succeeded
        facts["created"] = Pages.format(run.createdAt)
        facts["createdBy"] = names.name(run.createdBy)
        let note = detail.job.summary.placementNote
        facts["placementNote"] = run.state == .queued && !note.isEmpty ? note : ""
        facts["finished"] = Pages.format(run.finishedAt)
        facts["jobHref"] = "/app/jobs/\(run.jobID.uuidString.lowercased())"
        facts["canSeeJob"] = canSeeJob
        facts["dataset"] = run.inputs.dataset.map { "\($0.name) v\($0.version)" } ?? "—"
        facts["datasetHref"] = run.inputs.dataset.map { "/app/projects/\(project)/datasets/\($0.name)/versions/\($0.version)" } ?? ""
        facts["command"] = detail.code.command?.joined(separator: " ") ?? ""
        facts["hasCommand"] = detail.code.command != nil
        let usage: [String: String] = [
            "cpu": String(format: "%.1f s", detail.usage.cpuSeconds), "wall": String(format: "%.1f s", detail.usage.wallSeconds),
            "gpu": String(format: "%.1f s", detail.usage.gpuSeconds),
            "memory": detail.usage.peakMemoryBytes > 0 ? JobView.bytes(detail.usage.peakMemoryBytes) : "—",
        ]
        let params = run.params.sorted { $0.key < $1.key }.map { ["name": $0.key, "value": $0.value] }
        let tags = run.tags.sorted { $0.key < $1.key }.map { ["name": $0.key, "value": $0.value] }
        let choices = detail.job.artifacts.map { artifact -> [String: Any] in ["path": artifact.path, "isSelected": artifact.path == BuiltinTrainingJob.modelFileName] }
        var model: [String: Any] = ["run": facts, "usage": usage, "params": params, "tags": tags, "artifacts": artifacts, "artifactChoices": choices]
        model["progressPercent"] = Int((progress * 100).rounded())
        model["isRunning"] = !run.state.isFinal
        model["hasParams"] = !params.isEmpty
        model["hasTags"] = !tags.isEmpty
        model["heldOut"] = heldOut
        model["hasHeldOut"] = !heldOut.isEmpty
        model["charts"] = charts
        model["hasCharts"] = !charts.isEmpty
        model["hasArtifacts"] = !artifacts.isEmpty
        model["registerAction"] = "/app/projects/\(project)/runs/\(run.number)/register"
        model["cancelAction"] = "/app/projects/\(project)/runs/\(run.number)/cancel"
        model["defaultModelName"] = defaultModel.isEmpty ? "model" : defaultModel
        model["isBuiltin"] = run.kind == "builtin"
        if let report { model["report"] = reportView(report) }
        return model
    }

    /// The built-in trainer's report: choices, confusion matrix, importances.
    static func reportView(_ report: TrainingReport) -> [String: Any] {
        let largest = report.featureImportances.first?.importance ?? 0
        var view: [String: Any] = [
            "task": report.task.rawValue, "algorithm": report.algorithm.rawValue.replacingOccurrences(of: "_", with: " "), "target": report.target,
            "trainingRows": report.trainingRows, "validationRows": report.validationRows, "rowsWithoutTarget": report.rowsWithoutTarget,
            "hasRowsWithoutTarget": report.rowsWithoutTarget > 0, "fitSeconds": String(format: "%.2f s", report.fitSeconds),
            "iterations": report.iterations.map(String.init) ?? "", "hasIterations": report.iterations != nil,
            "notes": report.notes, "excluded": report.excluded.map { ["name": $0.name, "reason": $0.reason] }, "hasExcluded": !report.excluded.isEmpty,
            "features": report.features.map { "\($0.name) (\($0.type.rawValue))" }.joined(separator: ", "),
            "importances": report.featureImportances.prefix(20).map { item -> [String: Any] in
                ["name": item.name, "share": String(format: "%.1f%%", item.importance * 100), "bar": largest > 0 ? Int((item.importance / largest * 200).rounded()) : 0]
            },
        ]
        if let folds = report.crossValidation {
            view["crossValidation"] = "\(folds.metric) \(SVGChart.number(folds.mean)) ± \(SVGChart.number(folds.standardDeviation)) over \(folds.folds) folds"
        }
        if let confusion = report.confusion {
            view["confusion"] = [
                "classes": report.classes,
                "rows": confusion.enumerated().map { actual, counts -> [String: Any] in
                    [
                        "label": report.classes[actual],
                        "cells": counts.enumerated().map { predicted, count -> [String: Any] in ["count": count, "isCorrect": predicted == actual] },
                    ]
                },
            ]
        }
        return view
    }

    /// Runs side by side: parameters and final metrics as rows (the best value of each metric marked), and a chart per
    /// metric series with one line per run.
    static func comparison(_ details: [RunDetail], project: String, names: ActorNames) -> [String: Any] {
        let runs = details.map(\.summary)
        let paramNames = Set(runs.flatMap(\.params.keys)).sorted()
        let metricNames = Set(runs.flatMap(\.finalMetrics.keys)).sorted()
        let params = paramNames.map { name -> [String: Any] in
            let values = runs.map { $0.params[name] ?? "—" }
            return ["name": name, "values": values, "differs": Set(values).count > 1]
        }
        let metrics = metricNames.map { name -> [String: Any] in
            let values = runs.map { $0.finalMetrics[name] }
            let present = values.compactMap { $0 }
            let best = TrainingReport.lowerIsBetter(name) ? present.min() : present.max()
            return [
                "name": name,
                "cells": values.map { value -> [String: Any] in ["value": value.map(SVGChart.number) ?? "—", "isBest": value != nil && value == best && present.count > 1] },
            ]
        }
        let seriesNames = Set(details.flatMap { $0.metrics.filter { $0.value.count >= 2 }.keys }).sorted()
        let charts = seriesNames.compactMap { name in
            SVGChart.chart(
                title: name, details.compactMap { detail in detail.metrics[name].map { SVGChart.Line(name: detail.summary.title, points: $0.map { (Double($0.step), $0.value) }) } },
                width: 480, height: 180)
        }
        return [
            "runs": runs.map { row($0, project: project, names: names) }, "params": params, "metrics": metrics, "charts": charts, "hasCharts": !charts.isEmpty,
        ]
    }
}
