import AgentProtocol
import ComputeAgents
import Foundation
import HTTPTypes
import WebServer

/// The "submit a command job" form: fields, defaults, parsing into a submission, and errors back onto the fields.
enum JobForm {
    /// The form's field names.
    static let fields = ["name", "command", "cpu", "memory", "gpus", "nodes", "region"]
    /// What an empty form shows.
    static let defaults = ["name": "", "command": "", "cpu": "1", "memory": "512", "gpus": "0", "nodes": "1", "region": ""]

    /// A `train.command` submission: the command line split on whitespace (or a JSON array of strings), CPU in cores,
    /// memory in MiB. Every unreadable field is reported at once.
    static func submission(_ form: FormData) throws -> JobSubmission {
        var errors: [String: String] = [:]
        let command = self.command(form["command"], errors: &errors)
        let cores = Double(form["cpu"].trimmingCharacters(in: .whitespaces))
        if cores == nil || !(cores!.isFinite) || cores! <= 0 { errors["cpu"] = "Enter CPU cores as a number such as 1 or 0.5" }
        let memory = Int64(form["memory"].trimmingCharacters(in: .whitespaces))
        if memory == nil || memory! < 0 || memory! > (16 << 20) { errors["memory"] = "Enter memory in MiB as a whole number such as 512" }
        let gpus = Int(form["gpus"].trimmingCharacters(in: .whitespaces))
        if gpus == nil { errors["gpus"] = "Enter the number of GPUs per node (0 for none)" }
        let nodes = Int(form["nodes"].trimmingCharacters(in: .whitespaces))
        if nodes == nil { errors["nodes"] = "Enter the number of nodes (1 unless the job is multi-node)" }
        guard errors.isEmpty, let cores, let memory, let gpus, let nodes else { throw ComputeAgentsError.invalidFields(errors) }
        let spec = String(decoding: try JobsJSON.encoder.encode(CommandJobSpec(command: command)), as: UTF8.self)
        let region = form["region"].trimmingCharacters(in: .whitespaces)
        return JobSubmission(
            kind: "train.command", name: form["name"].trimmingCharacters(in: .whitespaces), specJSON: spec,
            resources: ResourceRequest(cpuMillis: Int((cores * 1000).rounded()), memoryBytes: memory << 20, gpus: gpus, nodes: nodes),
            region: region.isEmpty ? nil : region
        )
    }

    private static func command(_ text: String, errors: inout [String: String]) -> [String] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            errors["command"] = "Enter the command to run, such as python train.py"
            return []
        }
        guard trimmed.hasPrefix("[") else { return trimmed.split(whereSeparator: \.isWhitespace).map(String.init) }
        guard let array = try? JSONDecoder().decode([String].self, from: Data(trimmed.utf8)) else {
            errors["command"] = "A command starting with [ must be a JSON array of strings, such as [\"python\", \"-c\", \"print(1)\"]"
            return []
        }
        return array
    }

    /// The page's error members: field errors on the form's fields (the queue names its own fields), anything else
    /// (plan limits, residency) as the form error.
    static func failure(_ error: ComputeAgentsError) -> (context: [String: Any], status: HTTPResponse.Status) {
        guard case .invalidFields(let fields) = error else { return (["formError": error.publicMessage], error.status) }
        let names = [
            "spec": "command", "kind": "command", "resources.cpuMillis": "cpu", "resources.memoryBytes": "memory", "resources.gpus": "gpus",
            "resources.gpuType": "gpus", "resources.nodes": "nodes", "region": "region", "name": "name",
        ]
        var errors: [String: String] = [:]
        var others: [String] = []
        for (field, message) in fields.sorted(by: { $0.key < $1.key }) {
            if let name = names[field] ?? (JobForm.fields.contains(field) ? field : nil) {
                errors[name] = message
            } else {
                others.append(message)
            }
        }
        let formError = others.isEmpty ? "Please correct the highlighted fields." : others.joined(separator: " ")
        return (["errors": errors, "formError": formError], error.status)
    }
}

/// View models of jobs for the templates.
enum JobView {
    /// The most log text the job page renders (the end of the log); the rest is behind the full-log link.
    static let renderedLogLimit = 1 << 20

    /// The badge class of a state: running blue, succeeded green, failed red, cancelled amber, queued grey.
    static func badge(_ state: JobState) -> String {
        switch state {
        case .queued: "badge"
        case .leased, .running: "badge info"
        case .succeeded: "badge ok"
        case .failed: "badge bad"
        case .cancelled: "badge warn"
        }
    }

    /// One row of the jobs table.
    static func row(_ job: JobSummary) -> [String: Any] {
        [
            "id": job.id.uuidString.lowercased(), "shortID": String(job.id.uuidString.lowercased().prefix(8)),
            "name": job.name.isEmpty ? "(unnamed)" : job.name, "kind": job.kind, "state": job.state.rawValue, "badge": badge(job.state),
            "resources": resources(job.resources), "attempt": "\(job.attempt)/\(job.maxAttempts)", "created": Pages.format(job.createdAt),
            "note": job.placementNote, "hasNote": !job.placementNote.isEmpty && !job.state.isFinal,
        ]
    }

    /// "1 CPU · 512 MiB · 2 GPU (H100) · 2 nodes".
    static func resources(_ request: ResourceRequest) -> String {
        let cores = Double(request.cpuMillis) / 1000
        var parts = [(cores == cores.rounded() ? String(Int(cores)) : String(format: "%.2g", cores)) + " CPU", bytes(request.memoryBytes)]
        if request.gpus > 0 { parts.append("\(request.gpus) GPU" + (request.gpuType.map { " (\($0))" } ?? "")) }
        if request.nodes > 1 { parts.append("\(request.nodes) nodes") }
        return parts.joined(separator: " · ")
    }

    /// Bytes in binary units: "512 MiB", "1.5 GiB".
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return (value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)) + " " + units[unit]
    }

    /// The job page's model (without the log).
    static func detail(_ detail: JobDetail, canCancel: Bool) -> [String: Any] {
        let job = detail.summary
        let id = job.id.uuidString.lowercased()
        let metrics = JobMetrics.latest(detail.events).map { metric -> [String: Any] in
            ["name": metric.name, "value": SVGChart.number(metric.value), "step": metric.step.map(String.init) ?? "—", "time": Pages.format(metric.time)]
        }
        let charts = JobMetrics.series(detail.events).compactMap { SVGChart.chart(title: $0.name, [SVGChart.Line(name: $0.name, points: $0.points)]) }
        let statusLines = detail.events.filter { $0.report.kind == .status }.suffix(20).map {
            ["time": Pages.format($0.report.time), "message": $0.report.message ?? ""]
        }
        return [
            "job": Pages.merge(
                row(job),
                [
                    "isFinal": job.state.isFinal, "message": job.message, "hasMessage": !job.message.isEmpty, "placementNote": job.placementNote,
                    "hasPlacementNote": !job.placementNote.isEmpty,
                ]
            ),
            "id": id,
            "exitCode": job.exitCode.map(String.init) ?? "—",
            "allowedRegions": job.allowedRegions.joined(separator: ", "),
            "submittedBy": job.submittedBy,
            "started": Pages.format(job.startedAt),
            "finished": Pages.format(job.finishedAt),
            "timeout": "\(detail.timeoutSeconds) s",
            "isCancelRequested": job.isCancelRequested,
            "canCancel": canCancel && !job.state.isFinal && !job.isCancelRequested,
            "spec": prettySpec(detail.specJSON),
            "attempts": detail.attempts.map { attempt -> [String: Any] in
                [
                    "attempt": attempt.attempt, "rank": attempt.nodeRank, "agent": String(attempt.agentID.uuidString.lowercased().prefix(8)),
                    "region": attempt.agentRegion, "state": attempt.state, "exitCode": attempt.exitCode.map(String.init) ?? "—",
                    "message": attempt.message, "hasMessage": !attempt.message.isEmpty, "assigned": Pages.format(attempt.assignedAt), "started": Pages.format(attempt.startedAt),
                    "finished": Pages.format(attempt.finishedAt), "wall": attempt.wallSeconds.map { String(format: "%.1f s", $0) } ?? "—",
                ]
            },
            "hasAttempts": !detail.attempts.isEmpty,
            "metrics": metrics,
            "hasMetrics": !metrics.isEmpty,
            "charts": charts,
            "statusLines": statusLines,
            "hasStatusLines": !statusLines.isEmpty,
            "artifacts": detail.artifacts.map { artifact -> [String: Any] in
                [
                    "path": artifact.path, "size": bytes(artifact.sizeBytes), "sha256": artifact.sha256, "attempt": artifact.attempt,
                    "href": JobsAPI.artifactPath(job: job.id, path: artifact.path).replacingOccurrences(of: "/api/v1/jobs/", with: "/app/jobs/"),
                ]
            },
            "hasArtifacts": !detail.artifacts.isEmpty,
            "logURL": "/app/jobs/\(id)/log",
        ]
    }

    private static func prettySpec(_ json: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)),
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return json }
        return String(decoding: data, as: UTF8.self)
    }
}
