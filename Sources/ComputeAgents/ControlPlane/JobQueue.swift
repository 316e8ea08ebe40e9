import AgentProtocol
public import Foundation
public import PostgresClient
import Residency
public import Tenancy

/// The tenant-facing job queue. Every call runs in the tenant's home cell under its row-level security.
public struct JobQueue: Sendable {
    let context: ComputeAgentsContext

    /// Validates and queues a job: kind and spec, resources within `quota` (GPUs allowed, nodes, active jobs), and
    /// residency (Residency's placement function decides which regions may process it; an explicit `region` the
    /// policy refuses throws ``ComputeAgentsError/placementRefused(_:)`` and is audited). Audited as `job.submitted`;
    /// wakes waiting agents with NOTIFY.
    /// - Parameter alongside: runs in the same transaction after the job row is inserted, with the job's id (a run
    ///   record made with its job); throwing from it stores neither.
    /// - Throws: ``ComputeAgentsError/forbidden(_:)`` without `jobs.write`, ``ComputeAgentsError/invalidFields(_:)``
    ///   naming each wrong field, ``ComputeAgentsError/quotaExceeded(_:)``, ``ComputeAgentsError/placementRefused(_:)``.
    public func submit(
        _ submission: JobSubmission, quota: JobQuota, context request: RequestContext,
        alongside: nonisolated(nonsending) (PostgresConnection, UUID) async throws -> Void = { _, _ in }
    ) async throws -> JobSummary {
        try request.requireJobs(.jobsWrite)
        let errors = submission.validationErrors()
        guard errors.isEmpty else { throw ComputeAgentsError.invalidFields(errors) }
        try Self.checkPlan(submission.resources, quota: quota)
        let allowedRegions = try await allowedRegions(for: submission.region, request: request)
        let id = UUID()
        let resources = submission.resources
        let summary = try await context.router.withTenantTransaction(request.tenantID) { connection in
            let tenant = request.tenantID.rawValue
            let counts = try await connection.query(
                """
                SELECT (SELECT count(*) FROM jobs WHERE tenant_id = \(tenant) AND state IN ('queued', 'leased', 'running')) AS active,
                       (SELECT coalesce(max(fair_seq), 0) FROM jobs WHERE tenant_id = \(tenant) AND state = 'queued') AS last_seq
                """
            )[0]
            let active = try counts["active", as: Int.self]
            guard active < quota.maximumActiveJobs else {
                throw ComputeAgentsError.quotaExceeded(
                    "Your plan allows \(quota.maximumActiveJobs) job\(quota.maximumActiveJobs == 1 ? "" : "s") at once; "
                        + "\(active) are queued or running. Wait for one to finish or cancel one, or upgrade the plan"
                )
            }
            let fairSeq = try counts["last_seq", as: Int64.self] + 1
            let selector = try PostgresJSON(encoding: submission.nodeSelector)
            let gpuType = resources.gpuType?.trimmingCharacters(in: .whitespaces)
            let row = try await connection.query(
                """
                INSERT INTO jobs (tenant_id, id, kind, name, spec, cpu_millis, memory_bytes, gpus, gpu_type, nodes, node_selector,
                                  priority, fair_seq, allowed_regions, max_attempts, timeout_seconds, submitted_by)
                VALUES (\(tenant), \(id), \(submission.kind), \(submission.name), \(PostgresJSON(text: submission.specJSON)),
                        \(resources.cpuMillis), \(resources.memoryBytes), \(resources.gpus), \(gpuType), \(resources.nodes), \(selector),
                        \(submission.priority), \(fairSeq), \(allowedRegions), \(submission.maxAttempts), \(submission.timeoutSeconds),
                        \(request.jobSubmitter))
                RETURNING *
                """
            )[0]
            try await AuditLog.record(
                AuditEvent(
                    actor: request.auditActor, action: "job.submitted", target: "job:\(id.uuidString.lowercased())",
                    sourceIP: request.clientAddress, requestID: request.requestID,
                    details: [
                        "kind": submission.kind, "cpu_millis": String(resources.cpuMillis), "memory_bytes": String(resources.memoryBytes),
                        "gpus": String(resources.gpus), "nodes": String(resources.nodes), "allowed_regions": allowedRegions.joined(separator: ","),
                    ]
                ),
                tenant: request.tenantID,
                on: connection
            )
            try await alongside(connection, id)
            try await connection.execute("SELECT pg_notify(\(Dispatcher.channel), '')")
            return try JobRows.summary(row)
        }
        context.dispatch.signal.fire(region: request.region)
        return summary
    }

    /// The tenant's jobs, newest first, optionally in one state.
    /// - Parameters:
    ///   - state: only jobs in this state; nil for all.
    ///   - limit: at most this many (1…500).
    public func list(state: JobState?, limit: Int, context request: RequestContext) async throws -> [JobSummary] {
        try request.requireJobs(.jobsRead)
        let limit = min(max(limit, 1), 500)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            try await connection.query(
                """
                SELECT * FROM jobs WHERE tenant_id = \(request.tenantID.rawValue) AND (\(state?.rawValue)::text IS NULL OR state = \(state?.rawValue))
                ORDER BY created_at DESC, id LIMIT \(limit)
                """
            ).map(JobRows.summary)
        }
    }

    /// One job with attempts, events and artifacts.
    /// - Throws: ``ComputeAgentsError/notFound(_:)`` when the tenant has no such job.
    public func detail(_ id: UUID, context request: RequestContext) async throws -> JobDetail {
        try request.requireJobs(.jobsRead)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            guard let detail = try await Self.detail(id, on: connection) else { throw Self.notFound(id) }
            return detail
        }
    }

    /// One job of the transaction's tenant with attempts, its newest `eventLimit` events and artifacts; nil when there
    /// is none. For callers that checked their own permission (a run's page shows its job under `models.read`).
    public nonisolated(nonsending) static func detail(_ id: UUID, eventLimit: Int = 1000, on connection: PostgresConnection) async throws -> JobDetail? {
        guard let row = try await connection.query("SELECT * FROM jobs WHERE id = \(id)").first else { return nil }
        let attempts = try await connection.query("SELECT * FROM job_attempts WHERE job_id = \(id) ORDER BY attempt, node_rank")
        let events = try await connection.query(
            "SELECT * FROM (SELECT * FROM job_events WHERE job_id = \(id) ORDER BY id DESC LIMIT \(eventLimit)) newest ORDER BY id"
        )
        let artifacts = try await connection.query("SELECT * FROM job_artifacts WHERE job_id = \(id) ORDER BY path")
        return JobDetail(
            summary: try JobRows.summary(row),
            specJSON: try row["spec", as: String.self],
            nodeSelector: JobRows.labels(try row["node_selector", as: PostgresJSON.self]),
            timeoutSeconds: try row["timeout_seconds", as: Int.self],
            attempts: try attempts.map(JobRows.attempt),
            events: try events.map(JobRows.event),
            artifacts: try artifacts.map(JobRows.artifact)
        )
    }

    /// The blob holding a job artifact of the transaction's tenant, or nil; for callers that checked their own
    /// permission (registering a model version copies a run's model file).
    public nonisolated(nonsending) static func artifactBlob(job id: UUID, path: String, on connection: PostgresConnection) async throws -> (blobName: String, sha256: String, sizeBytes: Int64)? {
        guard let row = try await connection.query("SELECT blob_name, sha256, size_bytes FROM job_artifacts WHERE job_id = \(id) AND path = \(path)").first
        else { return nil }
        return (try row["blob_name", as: String.self], try row["sha256", as: String.self], try row["size_bytes", as: Int64.self])
    }

    /// Log chunks in order (attempt, rank, seq) after the given position, at most `limit` (1…1000).
    /// - Throws: ``ComputeAgentsError/notFound(_:)`` when the tenant has no such job.
    public func logs(_ id: UUID, after: (attempt: Int, nodeRank: Int, seq: Int)?, limit: Int, context request: RequestContext) async throws -> [JobLogChunk] {
        try request.requireJobs(.jobsRead)
        let position = after ?? (0, -1, -1)
        let limit = min(max(limit, 1), 1000)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            guard try await !connection.query("SELECT 1 FROM jobs WHERE id = \(id)").isEmpty else { throw Self.notFound(id) }
            return try await connection.query(
                """
                SELECT attempt, node_rank, seq, data FROM job_log_chunks
                WHERE job_id = \(id) AND (attempt, node_rank, seq) > (\(position.attempt), \(position.nodeRank), \(position.seq))
                ORDER BY attempt, node_rank, seq LIMIT \(limit)
                """
            ).map { row in
                JobLogChunk(
                    attempt: try row["attempt", as: Int.self],
                    nodeRank: try row["node_rank", as: Int.self],
                    seq: try row["seq", as: Int.self],
                    data: try row["data", as: [UInt8].self]
                )
            }
        }
    }

    /// Cancels a job: a queued one ends at once; a leased or running one is stopped on its node at the next heartbeat.
    /// Audited as `job.cancelled`. Cancelling a finished job is a ``ComputeAgentsError/conflict(_:)``.
    public func cancel(_ id: UUID, context request: RequestContext) async throws -> JobSummary {
        try request.requireJobs(.jobsWrite)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            guard let row = try await connection.query("SELECT state FROM jobs WHERE id = \(id) FOR UPDATE").first else { throw Self.notFound(id) }
            let state = JobState(rawValue: try row["state", as: String.self]) ?? .queued
            guard !state.isFinal else { throw ComputeAgentsError.conflict("The job has already ended (\(state.rawValue)); there is nothing to cancel") }
            let updated = try await connection.query(
                """
                UPDATE jobs SET
                    state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,
                    finished_at = CASE WHEN state = 'queued' THEN now() ELSE finished_at END,
                    message = CASE WHEN state = 'queued' THEN 'Cancelled before it started' ELSE message END,
                    placement_note = CASE WHEN state = 'queued' THEN '' ELSE placement_note END,
                    cancel_requested_at = coalesce(cancel_requested_at, now()), updated_at = now()
                WHERE id = \(id) RETURNING *
                """
            )[0]
            try await AuditLog.record(
                AuditEvent(
                    actor: request.auditActor, action: "job.cancelled", target: "job:\(id.uuidString.lowercased())",
                    sourceIP: request.clientAddress, requestID: request.requestID, details: ["state": state.rawValue]
                ),
                tenant: request.tenantID,
                on: connection
            )
            return try JobRows.summary(updated)
        }
    }

    /// Streams an artifact's decrypted bytes to `sink`; returns its size.
    /// - Throws: ``ComputeAgentsError/notFound(_:)`` when the job has no artifact at `path`.
    public func readArtifact(_ id: UUID, path: String, context request: RequestContext, into sink: @Sendable ([UInt8]) async throws -> Void) async throws -> Int64 {
        try request.requireJobs(.jobsRead)
        let blobName = try await context.router.withTenantTransaction(request.tenantID) { connection in
            try await connection.query("SELECT blob_name FROM job_artifacts WHERE job_id = \(id) AND path = \(path)").first?["blob_name", as: String.self]
        }
        guard let blobName else { throw ComputeAgentsError.notFound("The job has no artifact '\(String(path.prefix(200)))'") }
        return try await context.blobs.get(request.tenantID, name: blobName, into: sink)
    }

    static func notFound(_ id: UUID) -> ComputeAgentsError { .notFound("There is no job \(id.uuidString.lowercased()) in this organisation") }
}
