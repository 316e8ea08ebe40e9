public import AgentProtocol
import Foundation
import Learning
import BlockingPool

/// What a built-in job gets: its lease, where to write output files, and ways to log and report metrics.
public struct BuiltinJobContext: Sendable {
    /// The lease (kind, spec JSON, resources, GPUs).
    public let job: LeasedJob
    /// The folder whose files are uploaded as artifacts after the job.
    public let outputDirectory: String
    /// The node's inventory (what the agent registered with).
    public let inventory: AgentInventory
    let logBuffer: LogBuffer
    let eventSink: @Sendable (JobEventReport) async -> Void
    let downloader: @Sendable (JobDownload, String) async throws -> (sizeBytes: Int64, sha256: String)
    /// The address the control plane reaches this node at (`--advertise-address`); nil when not configured.
    public let advertiseAddress: String?

    /// Downloads the job's input (`GET /agent/v1/jobs/:job/input`) into the file at `path`, retrying while the server
    /// is unavailable; returns its size and SHA-256 (hex).
    public func downloadInput(to path: String) async throws -> (sizeBytes: Int64, sha256: String) { try await downloader(.input, path) }

    /// Downloads the model a replica serves (`GET /agent/v1/jobs/:job/model`) into the file at `path`, as
    /// ``downloadInput(to:)``.
    public func downloadModel(to path: String) async throws -> (sizeBytes: Int64, sha256: String) { try await downloader(.model, path) }

    /// Reports a status line (shown on the job; a replica's `ready at …`).
    public func status(_ message: String) async { await eventSink(JobEventReport(kind: .status, message: message)) }

    /// Appends a line to the job's log.
    public func log(_ line: String) { logBuffer.appendLine(line) }

    /// Reports a metric event.
    public func metric(_ name: String, step: Int = 0, value: Double) async {
        await eventSink(JobEventReport(kind: .metric, name: name, step: step, value: value))
    }

    /// Reports progress between 0 and 1.
    public func progress(_ fraction: Double) async { await eventSink(JobEventReport(kind: .progress, value: fraction)) }
}

/// What a built-in job can fetch with its token.
enum JobDownload: Sendable {
    /// A built-in run's dataset rows.
    case input
    /// A replica's model file.
    case model
}

/// A job kind implemented inside the agent binary. Throwing fails the attempt with the error's description;
/// cancellation arrives as task cancellation.
public typealias BuiltinJob = @Sendable (BuiltinJobContext) async throws -> Void

/// Job kinds the agent runs itself (trainers and inference register here in later issues).
public struct BuiltinJobRegistry: Sendable {
    private var jobs: [String: BuiltinJob] = [:]

    /// An empty registry.
    public init() {}

    /// Adds or replaces the implementation of `kind`.
    public mutating func register(_ kind: String, _ job: @escaping BuiltinJob) { jobs[kind] = job }

    /// The implementation of `kind`, if any.
    public func job(for kind: String) -> BuiltinJob? { jobs[kind] }

    /// The kinds registered.
    public var kinds: [String] { jobs.keys.sorted() }

    /// The registry with the agent's own built-ins: `node.diagnostics`, `train.builtin` and `serve.replica`.
    public static var standard: BuiltinJobRegistry {
        var registry = BuiltinJobRegistry()
        registry.register("node.diagnostics", NodeDiagnostics.run)
        registry.register(BuiltinTrainingJob.kind, BuiltinTrainer.run)
        registry.register(ServeReplicaSpec.kind, ModelReplica.run)
        return registry
    }
}

/// `node.diagnostics`: writes the inventory and utilisation to `diagnostics.json` and reports a few metrics.
enum NodeDiagnostics {
    struct Report: Codable {
        var inventory: AgentInventory
        var utilization: NodeUtilization
        var collectedAt: Date
    }

    static func run(_ context: BuiltinJobContext) async throws {
        context.log("collecting node diagnostics")
        let sampler = UtilizationSampler(hasGPUs: !context.inventory.gpus.isEmpty)
        _ = await sampler.sample()
        try await Task.sleep(for: .milliseconds(200))
        let utilization = await sampler.sample()
        let report = Report(inventory: context.inventory, utilization: utilization, collectedAt: Date())
        let data = try AgentProtocol.encoder.encode(report)
        let path = context.outputDirectory + "/diagnostics.json"
        try await BlockingPoolWrite.write(data, to: path)
        context.log("wrote diagnostics.json: \(context.inventory.cpuCores) cores, \(context.inventory.gpus.count) GPUs, CPU \(utilization.cpuPercent)%")
        await context.metric("cpu_percent", value: utilization.cpuPercent)
        await context.metric("memory_used_bytes", value: Double(utilization.memoryUsedBytes))
        await context.metric("gpu_count", value: Double(context.inventory.gpus.count))
        if let gpu = utilization.gpuPercent { await context.metric("gpu_percent", value: gpu) }
    }
}

/// A small file write on the blocking pool.
enum BlockingPoolWrite {
    static func write(_ data: Data, to path: String) async throws {
        try await BlockingPool.shared.run { try data.write(to: URL(fileURLWithPath: path)) }
    }
}
