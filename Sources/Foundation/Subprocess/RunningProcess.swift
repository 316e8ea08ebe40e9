public import BlockingPool
import CSystemShim
import Foundation
import Glibc
import Synchronization

/// A started child process in its own process group: its merged output, its exit, and signals to its whole tree.
///
/// Two dedicated threads serve each process: one reads the output pipe into ``output``, one blocks in `wait4` for
/// ``wait()``; neither runs on Swift's cooperative pool. Descendants that leave the process group (`setsid`) escape
/// ``signalGroup(_:)``, but not `cgroup.kill` when the process runs in a cgroup.
public final class RunningProcess: Sendable {
    /// The child's pid, which is also its process group id.
    public let pid: Int32
    /// The output bytes (stdout and stderr merged) in the order written, in chunks of at most 64 KiB; ends when
    /// every process holding the pipe has closed it. Buffers without bound: consume it.
    public let output: AsyncStream<[UInt8]>
    /// The job's cgroup directory when the process was placed in one, else nil.
    public var cgroupPath: String? { cgroup?.path }

    private let cgroup: CgroupDirectory?
    private let exitState = Mutex<ExitState>(ExitState())

    private struct ExitState {
        var exit: ProcessExit?
        var waiters: [CheckedContinuation<ProcessExit, Never>] = []
    }

    private init(pid: Int32, output: AsyncStream<[UInt8]>, cgroup: CgroupDirectory?) {
        self.pid = pid
        self.output = output
        self.cgroup = cgroup
    }

    /// Starts a process. Setup (cgroup files, fork and exec) runs on `pool`; the call returns once exec succeeded.
    /// - Parameters:
    ///   - configuration: what to run.
    ///   - pool: where the blocking setup runs; default ``BlockingPool/shared``.
    /// - Throws: ``SubprocessError`` when the program cannot be started, e.g. "cannot run 'x': No such file or directory".
    public static func start(_ configuration: ProcessConfiguration, pool: BlockingPool = .shared) async throws -> RunningProcess {
        try await pool.run { try startBlocking(configuration) }
    }

    private static func startBlocking(_ configuration: ProcessConfiguration) throws -> RunningProcess {
        var pipe: [Int32] = [-1, -1]
        guard falaj_pipe_cloexec(&pipe) == 0 else { throw SubprocessError("cannot create the output pipe: \(String(cString: strerror(errno)))") }
        let cgroup = configuration.cgroup.flatMap(CgroupDirectory.make)
        let argv = [configuration.executable] + configuration.arguments
        let envp = configuration.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        var errorBuffer = [CChar](repeating: 0, count: 512)
        let pid: pid_t = withCStrings(argv) { argvPointers in
            withCStrings(envp) { envpPointers in
                configuration.executable.withCString { program in
                    withOptionalCString(configuration.environment["PATH"]) { searchPath in
                        withOptionalCString(configuration.workingDirectory) { directory in
                            var options = falaj_spawn_options(
                                program: program,
                                argv: argvPointers,
                                envp: envpPointers,
                                search_path: searchPath,
                                directory: directory,
                                output_fd: pipe[1],
                                cgroup_procs_fd: cgroup?.procsDescriptor ?? -1,
                                uid: configuration.user.map { Int64($0.uid) } ?? -1,
                                gid: configuration.user.map { Int64($0.gid) } ?? -1,
                                limit_open_files: configuration.limits.openFiles.map(Int64.init) ?? -1,
                                limit_address_space: configuration.limits.addressSpaceBytes ?? -1,
                                limit_cpu_seconds: configuration.limits.cpuSeconds.map(Int64.init) ?? -1
                            )
                            return falaj_spawn(&options, &errorBuffer, errorBuffer.count)
                        }
                    }
                }
            }
        }
        close(pipe[1])
        cgroup?.closeProcsFile()
        guard pid > 0 else {
            close(pipe[0])
            cgroup?.remove()
            throw SubprocessError(String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .unbounded)
        let process = RunningProcess(pid: pid, output: stream, cgroup: cgroup)
        let readDescriptor = pipe[0]
        let reader = Thread {
            readOutput(from: readDescriptor, into: continuation)
        }
        reader.name = "falaj-process-\(pid)-output"
        reader.stackSize = 256 << 10
        reader.start()
        let waiter = Thread { [process] in process.waitBlocking() }
        waiter.name = "falaj-process-\(pid)-wait"
        waiter.stackSize = 256 << 10
        waiter.start()
        return process
    }

    /// Suspends until the process has exited and returns how; callable any number of times, from any task.
    public func wait() async -> ProcessExit {
        await withCheckedContinuation { continuation in
            let exit: ProcessExit? = exitState.withLock { state in
                if let exit = state.exit { return exit }
                state.waiters.append(continuation)
                return nil
            }
            if let exit { continuation.resume(returning: exit) }
        }
    }

    /// The exit once the process has been reaped, else nil.
    public var exit: ProcessExit? { exitState.withLock { $0.exit } }

    /// Sends `signal` to every process of the group. Returns false when none is left (ESRCH).
    @discardableResult
    public func signalGroup(_ signal: Int32) -> Bool {
        falaj_kill_group(pid, signal) == 0
    }

    /// Whether no process of the group is left (`kill(-pgid, 0)` fails with ESRCH).
    public var isGroupGone: Bool {
        falaj_kill_group(pid, 0) != 0 && errno == ESRCH
    }

    /// Stops the whole tree: SIGTERM to the group, then after `grace` SIGKILL to the group and `cgroup.kill`;
    /// returns once no process of the group is left (or after a further 10 s if something ignores SIGKILL).
    /// - Parameter grace: how long processes get to exit after SIGTERM; default 5 s.
    public func terminateGroup(grace: Duration = .seconds(5)) async {
        signalGroup(SIGTERM)
        let clock = ContinuousClock()
        let deadline = clock.now + grace
        while clock.now < deadline, !(await isTreeGone()) {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if !(await isTreeGone()) {
            signalGroup(SIGKILL)
            if let cgroup { _ = await BlockingPool.shared.run { cgroup.killAll() } }
        }
        let killDeadline = clock.now + .seconds(10)
        while clock.now < killDeadline, !(await isTreeGone()) {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Whether the group is gone and, with a cgroup, the cgroup is empty (read on the blocking pool).
    private func isTreeGone() async -> Bool {
        guard isGroupGone else { return false }
        guard let cgroup else { return true }
        return await BlockingPool.shared.run { !cgroup.isPopulated }
    }

    private func waitBlocking() {
        var status = falaj_exit_status()
        let exit: ProcessExit
        if falaj_wait_exit(pid, &status) == 0 {
            let termination: ProcessExit.Termination = status.exited == 1 ? .exited(status.code) : .signalled(status.code)
            exit = ProcessExit(termination: termination, cpuSeconds: status.cpu_seconds, peakMemoryBytes: status.max_rss_bytes)
        } else {
            // Someone else reaped the child (a waitpid(-1) elsewhere in the process); the status is lost.
            exit = ProcessExit(termination: .signalled(0), cpuSeconds: 0, peakMemoryBytes: 0)
        }
        if let cgroup {
            // Descendants may outlive the leader; the directory goes once they are gone (after ``terminateGroup``).
            if !cgroup.isPopulated { cgroup.remove() }
        }
        let waiters = exitState.withLock { state in
            state.exit = exit
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: exit) }
    }

    /// Removes the cgroup directory if one was created and is empty; call after ``terminateGroup(grace:)``.
    public func releaseCgroup() async {
        guard let cgroup else { return }
        await BlockingPool.shared.run { if !cgroup.isPopulated { cgroup.remove() } }
    }
}

private func readOutput(from descriptor: Int32, into continuation: AsyncStream<[UInt8]>.Continuation) {
    var buffer = [UInt8](repeating: 0, count: 64 << 10)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count > 0 {
            continuation.yield(Array(buffer[0..<count]))
        } else if count < 0 && errno == EINTR {
            continue
        } else {
            break
        }
    }
    close(descriptor)
    continuation.finish()
}

/// Calls `body` with a NULL-terminated array of C strings that live for the call.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

private func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}
