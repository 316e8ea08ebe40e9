import AgentProtocol
public import ComputeAgents
import Foundation
import Learning
import PostgresClient
import Residency
public import Tenancy

extension Runs {
    /// The project's runs, newest first, optionally of one experiment and in one state; at most `limit` (1…500).
    public func list(
        project slug: String, experiment: String? = nil, state: JobState? = nil, limit: Int = 100, context request: RequestContext
    ) async throws -> [RunSummary] {
        try request.requirePlatform(.modelsRead)
        let limit = min(max(limit, 1), 500)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            let project = try await Projects.find(slug, for: request, on: connection)
            let rows = try await connection.query(
                RunRows.select(
                    """
                    WHERE r.project_id = \(project.id) AND (\(experiment)::text IS NULL OR e.name = \(experiment))
                      AND (\(state?.rawValue)::text IS NULL OR j.state = \(state?.rawValue)) ORDER BY r.number DESC LIMIT \(limit)
                    """
                )
            )
            return try rows.map(RunSummary.init)
        }
    }

    /// The project's experiments by name, with their run counts.
    public func experiments(project slug: String, context request: RequestContext) async throws -> [Experiment] {
        try request.requirePlatform(.modelsRead)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            let project = try await Projects.find(slug, for: request, on: connection)
            return try await connection.query(
                """
                SELECT e.*, (SELECT count(*) FROM runs r WHERE r.experiment_id = e.id) AS run_count
                FROM experiments e WHERE e.project_id = \(project.id) ORDER BY e.name
                """
            ).map(Experiment.init)
        }
    }

    /// One run by number with its job, metric series, resource usage and (built-in runs) report.
    /// - Throws: ``PlatformError/notFound(_:)``.
    public func get(_ number: Int, project slug: String, context request: RequestContext) async throws -> RunDetail {
        try request.requirePlatform(.modelsRead)
        let (summary, code, job) = try await context.router.withTenantTransaction(request.tenantID) { connection in
            let project = try await Projects.find(slug, for: request, on: connection)
            guard let row = try await connection.query(RunRows.select("WHERE r.project_id = \(project.id) AND r.number = \(number)")).first else {
                throw PlatformError.notFound("The project has no run \(number)")
            }
            let summary = try RunSummary(row)
            guard let job = try await JobQueue.detail(summary.jobID, eventLimit: 50_000, on: connection) else {
                throw PlatformError.notFound("Run \(number)'s job is gone")
            }
            return (summary, try row["code", as: PostgresJSON.self].decode(RunCode.self), job)
        }
        var report: TrainingReport?
        if summary.kind == "builtin", let artifact = job.artifacts.last(where: { $0.path == BuiltinTrainingJob.reportFileName }), artifact.sizeBytes < 8 << 20 {
            let bytes = try await readArtifact(summary.jobID, path: artifact.path, tenant: request.tenantID)
            report = try? JSONDecoder().decode(TrainingReport.self, from: Data(bytes))
        }
        return RunDetail(summary: summary, code: code, job: job, metrics: Self.series(job.events), usage: Self.usage(job), report: report)
    }

    /// An artifact's bytes (small files: the report), decrypted.
    func readArtifact(_ job: UUID, path: String, tenant: TenantID) async throws -> [UInt8] {
        let blob = try await context.router.withTenantTransaction(tenant) { try await JobQueue.artifactBlob(job: job, path: path, on: $0) }
        guard let blob else { throw PlatformError.notFound("The run has no artifact '\(path)'") }
        return try await context.readBlob(blob.blobName, tenant: tenant)
    }

    /// Metric series of the latest attempt that reported any metric, each in step order (ties by arrival).
    static func series(_ events: [JobEventRecord]) -> [String: [MetricPoint]] {
        let metrics = events.filter { $0.report.kind == .metric && $0.report.name != nil && $0.report.value != nil }
        guard let attempt = metrics.map(\.attempt).max() else { return [:] }
        var series: [String: [MetricPoint]] = [:]
        for event in metrics where event.attempt == attempt {
            series[event.report.name!, default: []].append(MetricPoint(step: event.report.step ?? 0, value: event.report.value!, time: event.report.time))
        }
        return series.mapValues { points in
            points.enumerated().sorted { $0.element.step != $1.element.step ? $0.element.step < $1.element.step : $0.offset < $1.offset }.map(\.element)
        }
    }

    /// CPU, GPU and wall seconds over every attempt and node, and the largest peak memory.
    static func usage(_ job: JobDetail) -> RunResourceUsage {
        var usage = RunResourceUsage(cpuSeconds: 0, gpuSeconds: 0, peakMemoryBytes: 0, wallSeconds: 0)
        for attempt in job.attempts {
            usage.cpuSeconds += attempt.cpuSeconds ?? 0
            usage.wallSeconds += attempt.wallSeconds ?? 0
            usage.gpuSeconds += (attempt.wallSeconds ?? 0) * Double(job.summary.resources.gpus)
            usage.peakMemoryBytes = max(usage.peakMemoryBytes, attempt.peakMemoryBytes ?? 0)
        }
        return usage
    }
}

extension PlatformContext {
    /// A tenant blob's bytes, whole (small files only: a report, a model file being checked).
    func readBlob(_ name: String, tenant: TenantID) async throws -> [UInt8] {
        let collected = ByteCollector()
        _ = try await blobs.get(tenant, name: name) { collected.append($0) }
        return collected.bytes
    }
}

/// Collects streamed bytes (a small artifact) behind a lock.
final class ByteCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [UInt8] = []

    func append(_ bytes: [UInt8]) {
        lock.lock()
        storage += bytes
        lock.unlock()
    }

    var bytes: [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}

/// The run query and its row decoding.
enum RunRows {
    /// Runs with their experiment's name, their job's state and each metric's last value (latest attempt), filtered
    /// and ordered by `rest` (whose values are bound).
    static func select(_ rest: PostgresQuery) -> PostgresQuery {
        PostgresQuery(
            unsafeSQL: """
                SELECT r.*, e.name AS experiment_name, j.state, j.message, j.finished_at,
                       (SELECT coalesce(jsonb_object_agg(m.name, m.value), '{}')
                        FROM (SELECT DISTINCT ON (ev.name) ev.name, ev.value FROM job_events ev
                              WHERE ev.job_id = r.job_id AND ev.kind = 'metric' AND ev.name IS NOT NULL AND ev.value IS NOT NULL
                              ORDER BY ev.name, ev.attempt DESC, ev.step DESC NULLS LAST, ev.id DESC) m) AS final_metrics
                FROM runs r JOIN experiments e ON e.id = r.experiment_id JOIN jobs j ON j.id = r.job_id
                """ + " " + rest.sql,
            bindings: rest.bindings
        )
    }
}

extension RunSummary {
    init(_ row: PostgresRow) throws {
        id = try row["id", as: UUID.self]
        number = try row["number", as: Int.self]
        name = try row["name", as: String.self]
        experiment = try row["experiment_name", as: String.self]
        kind = try row["kind", as: String.self]
        jobID = try row["job_id", as: UUID.self]
        state = JobState(rawValue: try row["state", as: String.self]) ?? .failed
        message = try row["message", as: String.self]
        params = try row["params", as: PostgresJSON.self].decode([String: String].self)
        tags = try row["tags", as: PostgresJSON.self].decode([String: String].self)
        inputs = try row["inputs", as: PostgresJSON.self].decode(RunInputs.self)
        finalMetrics = try row["final_metrics", as: PostgresJSON.self].decode([String: Double].self)
        createdBy = try row["created_by", as: String.self]
        createdAt = try row["created_at", as: Date.self]
        finishedAt = try row["finished_at", as: Date?.self]
    }
}
