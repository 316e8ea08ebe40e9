import AgentProtocol
import BlockingPool
import Foundation
import Glibc
import Logging
import Subprocess

/// The `command` executor: runs a ``CommandJobSpec`` in the attempt's fresh work directory.
///
/// Environment: `PATH=/usr/local/bin:/usr/bin:/bin`, `HOME` (the work directory), `LANG=C.UTF-8`, `FALAJ_API`, the spec's
/// variables, the server's variables, `FALAJ_JOB_TOKEN`, `FALAJ_OUTPUT_DIR`, `CUDA_VISIBLE_DEVICES` (the leased GPU
/// indices; empty for CPU jobs so they never grab a GPU) and the gang variables. Limits: with cgroup v2 the job's
/// cgroup gets `memory.max` and `cpu.max` from its resources; without it only rlimits apply: `RLIMIT_AS` (a coarse
/// virtual-memory cap of max(2 × memory, memory + 1 GiB), only for jobs without GPUs since CUDA reserves huge address
/// ranges), `RLIMIT_NOFILE` 65536 and `RLIMIT_CORE` 0; CPU is then not limited.
struct CommandExecutor {
    let execution: JobExecution

    private var job: LeasedJob { execution.job }

    /// The child's environment (later sources win).
    static func environment(for job: LeasedJob, spec: CommandJobSpec, workDirectory: String, serverURL: String) -> [String: String] {
        // FALAJ_API: the server's configured public URL when it sends one, else the URL this agent reaches it at.
        var environment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": workDirectory, "LANG": "C.UTF-8", "FALAJ_API": serverURL]
        environment.merge(spec.environment) { $1 }
        environment.merge(job.environment) { $1 }
        environment["FALAJ_JOB_TOKEN"] = job.token
        environment["FALAJ_OUTPUT_DIR"] = workDirectory + "/output"
        environment["CUDA_VISIBLE_DEVICES"] = job.gpuIndices.map(String.init).joined(separator: ",")
        if let gang = job.gang { environment.merge(gang.environment) { $1 } }
        return environment
    }

    func run(_ spec: CommandJobSpec, buffer: LogBuffer) async -> JobResultReport {
        let workDirectory = execution.workDirectory
        if let files = spec.files {
            do {
                try await unpack(files, into: workDirectory, buffer: buffer)
            } catch {
                buffer.appendLine("falaj-agent: the working files could not be unpacked: \(error)")
                return JobResultReport(outcome: .failed, message: "the working files could not be unpacked: \(error)")
            }
        }
        let memory = job.resources.memoryBytes
        let hasCgroupV2 = await BlockingPool.shared.run { access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 }
        let limits = ResourceLimits(
            openFiles: 65536,
            addressSpaceBytes: hasCgroupV2 || job.resources.gpus > 0 || memory <= 0 ? nil : max(memory * 2, memory + (1 << 30)))
        let configuration = ProcessConfiguration(
            executable: spec.command[0], arguments: Array(spec.command.dropFirst()),
            environment: Self.environment(for: job, spec: spec, workDirectory: workDirectory, serverURL: execution.configuration.serverURL),
            workingDirectory: workDirectory, user: execution.runAs, limits: limits,
            cgroup: CgroupRequest(
                parent: execution.configuration.cgroupParent, name: JobTable.key(job),
                memoryMaxBytes: memory > 0 ? memory : nil, cpuMillis: job.resources.cpuMillis > 0 ? job.resources.cpuMillis : nil))
        let process: RunningProcess
        do {
            process = try await RunningProcess.start(configuration)
        } catch {
            buffer.appendLine("falaj-agent: \(error)")
            return JobResultReport(outcome: .failed, message: "\(error)")
        }
        execution.control.attach(process)
        execution.logger.info("job \(job.jobID) attempt \(job.attempt) started as pid \(process.pid)\(process.cgroupPath.map { " in \($0)" } ?? "")")
        async let started: Void = execution.postEvent(JobEventReport(kind: .started))
        async let drained: Void = {
            for await chunk in process.output { buffer.append(chunk) }
        }()
        let stop = await watch(process)
        if let stop {
            await process.terminateGroup(grace: execution.configuration.terminationGrace)
            buffer.appendLine("falaj-agent: \(stop.message ?? "stopped")")
        }
        let exit = await process.wait()
        if !process.isGroupGone {
            // The main process is done; whatever it left behind in its group goes too, so the output pipe closes.
            await process.terminateGroup(grace: .seconds(2))
        }
        await process.releaseCgroup()
        await drained
        await started
        if var stop {
            stop.cpuSeconds = exit.cpuSeconds
            stop.peakMemoryBytes = exit.peakMemoryBytes
            return stop
        }
        switch exit.termination {
        case .exited(let code):
            return JobResultReport(
                outcome: code == 0 ? .succeeded : .failed, exitCode: Int(code), message: code == 0 ? nil : "exited with status \(code)",
                cpuSeconds: exit.cpuSeconds, peakMemoryBytes: exit.peakMemoryBytes)
        case .signalled(let signal):
            return JobResultReport(
                outcome: .failed, message: "killed by signal \(signal)", cpuSeconds: exit.cpuSeconds, peakMemoryBytes: exit.peakMemoryBytes)
        }
    }

    /// Polls until the process exits (nil), is cancelled or times out (the report to send).
    private func watch(_ process: RunningProcess) async -> JobResultReport? {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(max(1, job.timeoutSeconds))
        while process.exit == nil {
            if Task.isCancelled { execution.control.cancel(reason: "the agent is shutting down") }
            if let reason = execution.control.cancelReason {
                return JobResultReport(outcome: .cancelled, message: reason)
            }
            if clock.now >= deadline {
                return JobResultReport(outcome: .failed, message: "timed out after \(job.timeoutSeconds) s")
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    /// Downloads the job's working files, checks their SHA-256 and unpacks them into the work folder with `tar` running
    /// as the job's user (so the files are the job's; `tar` refuses members that would land outside the folder).
    private func unpack(_ files: CommandJobSpec.Files, into workDirectory: String, buffer: LogBuffer) async throws {
        let archive = workDirectory + "/.falaj-files.tar.gz"
        let client = execution.client
        let job = self.job
        let (size, sha256) = try await AgentClient.retrying { try await client.downloadFiles(job: job.jobID, token: job.token, to: archive) }
        guard sha256 == files.sha256 else {
            throw SubprocessError("the archive arrived damaged: its SHA-256 is \(sha256), the bundle's is \(files.sha256)")
        }
        if let owner = execution.runAs {
            try await BlockingPool.shared.run {
                guard chown(archive, owner.uid, owner.gid) == 0 else { throw SubprocessError("cannot give the archive to uid \(owner.uid)") }
            }
        }
        let process = try await RunningProcess.start(ProcessConfiguration(
            executable: "/bin/tar", arguments: ["-xzf", archive, "-C", workDirectory, "--no-same-owner", "--no-same-permissions"],
            environment: ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"], workingDirectory: workDirectory, user: execution.runAs))
        var output: [UInt8] = []
        for await chunk in process.output where output.count < 64 << 10 { output += chunk }
        let exit = await process.wait()
        await BlockingPool.shared.run { try? FileManager.default.removeItem(atPath: archive) }
        guard exit.termination == .exited(0) else {
            throw SubprocessError("tar failed (\(exit.termination)): \(String(decoding: output.prefix(2000), as: UTF8.self))")
        }
        buffer.appendLine("falaj-agent: unpacked \(size) bytes of working files (SHA-256 verified)")
    }
}
