/// What to run and how: the program, its exact environment, its directory, its user and its limits.
///
/// The child gets exactly ``environment`` (nothing of the parent's), stdin from `/dev/null`, stdout and stderr merged
/// into one pipe (``RunningProcess/output``), its own process group, `RLIMIT_CORE` 0 and the other ``limits``.
public struct ProcessConfiguration: Sendable {
    /// The program: a path when it contains `/`, otherwise looked up in the `PATH` of ``environment``
    /// (or `/usr/bin:/bin` when that has none).
    public var executable: String
    /// Arguments after the program name (`argv[1…]`); `argv[0]` is ``executable``.
    public var arguments: [String]
    /// The complete environment of the child. Default empty.
    public var environment: [String: String]
    /// The working directory; nil keeps the parent's. Default nil.
    public var workingDirectory: String?
    /// The user to run as; nil keeps the parent's. Switching needs root. Default nil.
    public var user: ProcessUser?
    /// Resource limits set with `setrlimit` in the child. Default: only `RLIMIT_CORE` 0.
    public var limits: ResourceLimits
    /// cgroup v2 placement, applied when the host allows it (see ``CgroupRequest``); nil for none. Default nil.
    public var cgroup: CgroupRequest?

    /// Creates a configuration.
    /// - Parameters:
    ///   - executable: the program, a path or a name looked up in the environment's `PATH`.
    ///   - arguments: `argv[1…]`; default none.
    ///   - environment: exactly the child's variables; default none.
    ///   - workingDirectory: default the parent's.
    ///   - user: default the parent's.
    ///   - limits: default ``ResourceLimits/init(openFiles:addressSpaceBytes:cpuSeconds:)`` with nothing set.
    ///   - cgroup: default none.
    public init(
        executable: String,
        arguments: [String] = [],
        environment: [String: String] = [:],
        workingDirectory: String? = nil,
        user: ProcessUser? = nil,
        limits: ResourceLimits = ResourceLimits(),
        cgroup: CgroupRequest? = nil
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.user = user
        self.limits = limits
        self.cgroup = cgroup
    }
}

/// A user and group id a child switches to before exec (supplementary groups become just ``gid``).
public struct ProcessUser: Sendable, Equatable {
    /// The user id.
    public var uid: UInt32
    /// The primary group id.
    public var gid: UInt32

    /// Creates a user from ids.
    public init(uid: UInt32, gid: UInt32) {
        self.uid = uid
        self.gid = gid
    }
}

/// `setrlimit` limits for the child; nil leaves a limit as inherited. `RLIMIT_CORE` is always 0.
public struct ResourceLimits: Sendable, Equatable {
    /// `RLIMIT_NOFILE`: the most open descriptors. Default nil.
    public var openFiles: Int?
    /// `RLIMIT_AS`: the most virtual memory in bytes (a coarse memory cap when cgroups are unavailable). Default nil.
    public var addressSpaceBytes: Int64?
    /// `RLIMIT_CPU`: CPU seconds before SIGXCPU/SIGKILL. Default nil.
    public var cpuSeconds: Int?

    /// Creates limits; every parameter defaults to nil (inherited).
    public init(openFiles: Int? = nil, addressSpaceBytes: Int64? = nil, cpuSeconds: Int? = nil) {
        self.openFiles = openFiles
        self.addressSpaceBytes = addressSpaceBytes
        self.cpuSeconds = cpuSeconds
    }
}

/// A request to run the child in its own cgroup v2 `<parent>/falaj-job-<name>` with `memory.max` and `cpu.max`.
///
/// Applied only when `/sys/fs/cgroup/cgroup.controllers` exists and the directory can be created and written;
/// otherwise the process runs without one (``RunningProcess/cgroupPath`` is nil) and only ``ResourceLimits`` apply.
public struct CgroupRequest: Sendable, Equatable {
    /// The cgroup the job's cgroup is created in. Default `/sys/fs/cgroup/falaj`.
    public var parent: String
    /// The suffix of the directory name `falaj-job-<name>`; letters, digits, `-` and `_` only.
    public var name: String
    /// `memory.max` in bytes; nil for `max`.
    public var memoryMaxBytes: Int64?
    /// CPU in thousandths of a core, written as `cpu.max` "<quota> 100000"; nil for `max`.
    public var cpuMillis: Int?

    /// Creates a request.
    /// - Parameters:
    ///   - parent: default `/sys/fs/cgroup/falaj`.
    ///   - name: the directory suffix.
    ///   - memoryMaxBytes: default unlimited.
    ///   - cpuMillis: default unlimited.
    public init(parent: String = "/sys/fs/cgroup/falaj", name: String, memoryMaxBytes: Int64? = nil, cpuMillis: Int? = nil) {
        self.parent = parent
        self.name = name
        self.memoryMaxBytes = memoryMaxBytes
        self.cpuMillis = cpuMillis
    }
}

/// How a process ended, with its resource usage from `wait4`.
public struct ProcessExit: Sendable, Equatable {
    /// Exit or signal.
    public enum Termination: Sendable, Equatable {
        /// The process called `exit` with this status.
        case exited(Int32)
        /// A signal ended the process.
        case signalled(Int32)
    }

    /// How it ended.
    public var termination: Termination
    /// User plus system CPU seconds of the process and the descendants it reaped.
    public var cpuSeconds: Double
    /// Peak resident memory in bytes (`ru_maxrss`).
    public var peakMemoryBytes: Int64

    /// The exit status, or nil when a signal ended it.
    public var exitCode: Int32? {
        if case .exited(let code) = termination { return code }
        return nil
    }

    /// Creates an exit description.
    public init(termination: Termination, cpuSeconds: Double, peakMemoryBytes: Int64) {
        self.termination = termination
        self.cpuSeconds = cpuSeconds
        self.peakMemoryBytes = peakMemoryBytes
    }
}

/// A failure to start a process; ``description`` is one line for people ("cannot run 'x': No such file or directory").
public struct SubprocessError: Error, Sendable, CustomStringConvertible {
    /// The explanation.
    public let message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    /// The explanation.
    public var description: String { message }
}
