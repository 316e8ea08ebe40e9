import AgentProtocol
import Foundation
import PostgresClient
import Residency
import Tenancy

/// Row decoding for the job tables (`SELECT * FROM jobs`, `job_attempts`, `job_events`, `job_artifacts`).
enum JobRows {
    /// A `jobs` row as a ``JobSummary``.
    static func summary(_ row: PostgresRow) throws -> JobSummary {
        JobSummary(
            id: try row["id", as: UUID.self],
            tenantID: TenantID(try row["tenant_id", as: UUID.self]),
            kind: try row["kind", as: String.self],
            name: try row["name", as: String.self],
            state: JobState(rawValue: try row["state", as: String.self]) ?? .queued,
            resources: try resources(row),
            priority: try row["priority", as: Int.self],
            attempt: try row["attempt", as: Int.self],
            maxAttempts: try row["max_attempts", as: Int.self],
            allowedRegions: try row["allowed_regions", as: [String].self],
            placementNote: try row["placement_note", as: String.self],
            message: try row["message", as: String.self],
            exitCode: try row["exit_code", as: Int?.self],
            submittedBy: try row["submitted_by", as: String.self],
            createdAt: try row["created_at", as: Date.self],
            startedAt: try row["started_at", as: Date?.self],
            finishedAt: try row["finished_at", as: Date?.self],
            isCancelRequested: try row["cancel_requested_at", as: Date?.self] != nil
        )
    }

    /// The resource request columns of a `jobs` row.
    static func resources(_ row: PostgresRow) throws -> ResourceRequest {
        ResourceRequest(
            cpuMillis: try row["cpu_millis", as: Int.self],
            memoryBytes: try row["memory_bytes", as: Int64.self],
            gpus: try row["gpus", as: Int.self],
            gpuType: try row["gpu_type", as: String?.self],
            nodes: try row["nodes", as: Int.self]
        )
    }

    /// A `job_attempts` row.
    static func attempt(_ row: PostgresRow) throws -> JobAttemptSummary {
        JobAttemptSummary(
            attempt: try row["attempt", as: Int.self],
            nodeRank: try row["node_rank", as: Int.self],
            agentID: try row["agent_id", as: UUID.self],
            agentRegion: try row["agent_region", as: String.self],
            state: try row["state", as: String.self],
            exitCode: try row["exit_code", as: Int?.self],
            message: try row["message", as: String.self],
            cpuSeconds: try row["cpu_seconds", as: Double?.self],
            peakMemoryBytes: try row["peak_memory_bytes", as: Int64?.self],
            wallSeconds: try row["wall_seconds", as: Double?.self],
            assignedAt: try row["assigned_at", as: Date.self],
            startedAt: try row["started_at", as: Date?.self],
            finishedAt: try row["finished_at", as: Date?.self]
        )
    }

    /// A `job_events` row.
    static func event(_ row: PostgresRow) throws -> JobEventRecord {
        JobEventRecord(
            id: try row["id", as: Int64.self],
            attempt: try row["attempt", as: Int.self],
            nodeRank: try row["node_rank", as: Int.self],
            report: JobEventReport(
                kind: JobEventReport.Kind(rawValue: try row["kind", as: String.self]) ?? .status,
                name: try row["name", as: String?.self],
                step: try row["step", as: Int?.self],
                value: try row["value", as: Double?.self],
                message: try row["message", as: String?.self],
                time: try row["event_time", as: Date.self]
            )
        )
    }

    /// A `job_artifacts` row.
    static func artifact(_ row: PostgresRow) throws -> JobArtifact {
        JobArtifact(
            attempt: try row["attempt", as: Int.self],
            path: try row["path", as: String.self],
            sizeBytes: try row["size_bytes", as: Int64.self],
            sha256: try row["sha256", as: String.self],
            createdAt: try row["created_at", as: Date.self]
        )
    }

    /// A JSON object of strings (`node_selector`, agent `labels`).
    static func labels(_ json: PostgresJSON) -> [String: String] {
        (try? json.decode([String: String].self)) ?? [:]
    }
}

extension RequestContext {
    /// Throws ``ComputeAgentsError/forbidden(_:)`` unless the actor holds `permission`.
    func requireJobs(_ permission: Permission) throws(ComputeAgentsError) {
        do {
            try require(permission)
        } catch {
            throw .forbidden(error.description)
        }
    }

    /// The `submitted_by` text of a job: `user:<uuid>`, `api_key:<uuid>` or `system`.
    var jobSubmitter: String {
        switch actor {
        case .user(let id): "user:\(id.uuidString.lowercased())"
        case .apiKey(let id, _): "api_key:\(id.uuidString.lowercased())"
        case .operator(let id): "operator:\(id.uuidString.lowercased())"
        case .system: "system"
        }
    }
}
