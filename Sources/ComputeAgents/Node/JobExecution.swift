import AgentProtocol
import BlockingPool
import Foundation
import Glibc
import Logging
import Subprocess

/// Runs one leased attempt end to end: gang barrier, executor, log shipping, artifacts, result.
struct JobExecution: Sendable {
    let control: JobControl
    let client: AgentClient
    let configuration: AgentConfiguration
    let inventory: AgentInventory
    let reporter: ResultReporter
    let runAs: ProcessUser?
    let logger: Logger

    var job: LeasedJob { control.job }

    /// `<data-dir>/work/<job>-a<attempt>-r<rank>`.
    var workDirectory: String { configuration.dataDirectory + "/work/" + JobTable.key(job) }

    /// Runs the attempt; `release` is called once the node's resources are free again (before the result is
    /// delivered, which may wait for the server).
    func run(release: @Sendable () -> Void) async {
        if job.gang != nil {
            guard await passGangBarrier() else {
                release()
                return
            }
        }
        let buffer = LogBuffer()
        let shipper = LogShipper(client: client, job: job, buffer: buffer, logger: logger)
        let clock = ContinuousClock()
        let start = clock.now
        async let shipped = shipper.run()
        var report = await execute(buffer: buffer)
        buffer.finish()
        _ = await shipped
        await uploadArtifacts()
        let elapsed = (clock.now - start).components
        report.wallSeconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        await removeWorkDirectory()
        release()
        await reporter.deliver(PendingResult(jobID: job.jobID, attempt: job.attempt, nodeRank: control.rank, token: job.token, report: report))
    }

    /// Waits at the gang barrier; false when the gang was aborted (nothing is reported then) or the token refused.
    private func passGangBarrier() async -> Bool {
        while !Task.isCancelled {
            if let reason = control.cancelReason {
                logger.info("job \(job.jobID) cancelled at the gang barrier: \(reason)")
                return false
            }
            do {
                let status = try await AgentClient.retrying { try await client.gang(job: job.jobID, token: job.token) }
                switch status.state {
                case .start: return true
                case .abort:
                    logger.info("gang of job \(job.jobID) aborted: \(status.reason ?? "no reason given"); not starting")
                    return false
                case .wait: try await Task.sleep(for: .milliseconds(500))
                }
            } catch {
                logger.warning("gang barrier of job \(job.jobID) failed: \(error); not starting")
                return false
            }
        }
        return false
    }

    /// Picks the executor for the job's kind and runs it.
    private func execute(buffer: LogBuffer) async -> JobResultReport {
        do {
            try await prepareWorkDirectory()
        } catch {
            buffer.appendLine("falaj-agent: cannot prepare the work directory: \(error)")
            return JobResultReport(outcome: .failed, message: "cannot prepare the work directory: \(error)")
        }
        let spec = try? AgentProtocol.decoder.decode(CommandJobSpec.self, from: Data(job.specJSON.utf8))
        if let builtin = configuration.builtins.job(for: job.kind) {
            return await runBuiltin(builtin, buffer: buffer)
        }
        if job.kind == "train.command" || spec != nil {
            guard let spec, !spec.command.isEmpty else {
                buffer.appendLine("falaj-agent: the job's spec has no command")
                return JobResultReport(outcome: .failed, message: "the job's spec has no command")
            }
            return await CommandExecutor(execution: self).run(spec, buffer: buffer)
        }
        let message = "no executor for job kind '\(job.kind)' on this agent (built-ins: \(configuration.builtins.kinds.joined(separator: ", ")))"
        buffer.appendLine("falaj-agent: " + message)
        return JobResultReport(outcome: .failed, message: message)
    }

    private func runBuiltin(_ builtin: @escaping BuiltinJob, buffer: LogBuffer) async -> JobResultReport {
        let context = BuiltinJobContext(
            job: job, outputDirectory: workDirectory + "/output", inventory: inventory, logBuffer: buffer,
            eventSink: { event in await postEvent(event) },
            downloader: { [client, job] what, path in
                try await AgentClient.retrying {
                    switch what {
                    case .input: try await client.downloadInput(job: job.jobID, token: job.token, to: path)
                    case .model: try await client.downloadModel(job: job.jobID, token: job.token, to: path)
                    }
                }
            },
            advertiseAddress: configuration.advertiseAddress)
        await postEvent(JobEventReport(kind: .started))
        let timeout = Duration.seconds(max(1, job.timeoutSeconds))
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        // A built-in runs inside the agent: its CPU time is the agent process's while it ran (other jobs' built-ins
        // included, so an upper bound), its peak memory the process's high-water mark.
        let cpuBefore = ProcessUsage.cpuSeconds()
        var report = await withTaskGroup(of: JobResultReport?.self) { group in
            group.addTask {
                do {
                    try await builtin(context)
                    return JobResultReport(outcome: .succeeded, exitCode: 0)
                } catch is CancellationError {
                    return nil
                } catch {
                    buffer.appendLine("falaj-agent: \(job.kind) failed: \(error)")
                    return JobResultReport(outcome: .failed, message: "\(error)")
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    if let reason = control.cancelReason { return JobResultReport(outcome: .cancelled, message: reason) }
                    if clock.now >= deadline { return JobResultReport(outcome: .failed, message: "timed out after \(job.timeoutSeconds) s") }
                    try? await Task.sleep(for: .milliseconds(100))
                }
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? JobResultReport(outcome: .cancelled, message: control.cancelReason ?? "cancelled")
        }
        report.cpuSeconds = max(0, ProcessUsage.cpuSeconds() - cpuBefore)
        report.peakMemoryBytes = ProcessUsage.peakMemoryBytes()
        return report
    }

    /// Posts one event, retrying while the server is unavailable; refused events are logged and dropped.
    func postEvent(_ event: JobEventReport) async {
        do {
            try await AgentClient.retrying {
                try await client.postEvents(job: job.jobID, JobEventBatch(events: [event]), token: job.token)
            }
        } catch {
            logger.warning("event \(event.kind.rawValue) of job \(job.jobID) not delivered: \(error)")
        }
    }

    private func prepareWorkDirectory() async throws {
        let directory = workDirectory
        let owner = runAs
        try await BlockingPool.shared.run {
            let manager = FileManager.default
            try? manager.removeItem(atPath: directory)
            try manager.createDirectory(atPath: directory + "/output", withIntermediateDirectories: true)
            if let owner {
                for path in [directory, directory + "/output"] {
                    guard chown(path, owner.uid, owner.gid) == 0 else {
                        throw CredentialStoreError(message: "cannot give \(path) to uid \(owner.uid): \(String(cString: strerror(errno)))")
                    }
                }
                chmod(directory, 0o700)
            }
        }
    }

    private func removeWorkDirectory() async {
        let directory = workDirectory
        await BlockingPool.shared.run { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// Uploads every regular file under `output/` (symlinks are neither followed nor uploaded).
    private func uploadArtifacts() async {
        let root = workDirectory + "/output"
        let files = await BlockingPool.shared.run { ArtifactScan.regularFiles(under: root) }
        for relative in files {
            let path = root + "/" + relative
            do {
                let (sha256, size) = try await BlockingPool.shared.run { try FileReader.digest(path: path) }
                let receipt = try await AgentClient.retrying(onRetry: { [logger] error, delay in
                    logger.info("artifact \(relative) of job \(job.jobID) not uploaded (\(error)); retrying in \(delay.secondsText)")
                }) {
                    try await client.putArtifact(job: job.jobID, relativePath: relative, file: path, size: size, sha256: sha256, token: job.token)
                }
                logger.info("artifact \(receipt.path) of job \(job.jobID) uploaded (\(receipt.sizeBytes) bytes)")
            } catch {
                logger.warning("artifact \(relative) of job \(job.jobID) not uploaded: \(error)")
            }
        }
    }
}

/// Finds the files to upload as artifacts.
enum ArtifactScan {
    /// Relative paths of regular files under `root`, sorted; symlinks and special files are skipped, symlinked
    /// directories are not entered. Blocking.
    static func regularFiles(under root: String, prefix: String = "") -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return [] }
        var files: [String] = []
        for name in names.sorted() {
            var info = stat()
            let path = root + "/" + name
            guard lstat(path, &info) == 0 else { continue }
            let relative = prefix.isEmpty ? name : prefix + "/" + name
            switch info.st_mode & S_IFMT {
            case S_IFREG: files.append(relative)
            case S_IFDIR: files += regularFiles(under: path, prefix: relative)
            default: continue
            }
        }
        return files
    }
}

/// The agent process's own resource usage (getrusage of RUSAGE_SELF).
enum ProcessUsage {
    /// User plus system CPU seconds used so far.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return user + system
    }

    /// The resident-set high-water mark in bytes (Linux reports kilobytes).
    static func peakMemoryBytes() -> Int64 {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        return Int64(usage.ru_maxrss) * 1024
    }
}
