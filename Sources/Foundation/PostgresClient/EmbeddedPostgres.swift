import BlockingPool
internal import CLibPQ
import Foundation
import Glibc
public import Logging
public import ServiceLifecycle
import Synchronization

/// A private Postgres cluster under the Falaj data directory, run as a child process: what `falaj serve` uses when no
/// database is configured.
///
/// Layout under the data directory:
///
/// ```
/// <data>/postgres/      the cluster (PGDATA), mode 0700; initdb'd on first start (UTF8, locale C, superuser `postgres`)
/// <data>/run/           the server's Unix socket `.s.PGSQL.<port>`, mode 0700
/// <data>/postgres.log   initdb and server output
/// ```
///
/// The server listens on that socket only (`listen_addresses=''`, no TCP), so two clusters with different data directories
/// run side by side with the same port number. Authentication is `trust` on the local socket; that is safe because the
/// socket directory is mode 0700: only its owner (and root) can reach the socket at all. When Falaj runs as root, initdb and
/// postgres run as the `postgres` system user (through `setpriv`), which then owns `postgres/` and `run/`; every parent of
/// the data directory must be enterable by that user, or start fails naming the directory to fix.
///
/// ``start()`` initialises the cluster if needed, stops a server left running by a crashed earlier process, starts the
/// server, waits until it accepts connections, and creates the configured roles and databases (``DatabaseRoles``). A stale
/// `postmaster.pid` from a killed server is handled by Postgres itself. ``stop()`` requests a fast shutdown (SIGINT) and
/// waits. `stop()` then `start()` on the same directory restarts it with its data. All waits suspend; none blocks a
/// cooperative thread. As a `Service`, ``run()`` starts the server (if ``start()`` was not called yet), runs until graceful
/// shutdown, then stops it; it throws if the server dies on its own.
public final class EmbeddedPostgres: Service, Sendable {
    /// Where the cluster lives and what it is set up with.
    public let configuration: Configuration
    private let logger: Logger
    private let state = Mutex<State>(.stopped)

    private enum State {
        case stopped
        case starting
        case running(ChildProcess, Cluster)
        case stopping
    }

    /// Describes a cluster; nothing happens until ``start()``.
    /// - Parameters:
    ///   - configuration: data directory, databases, roles and timeouts.
    ///   - logger: where start-up and shutdown are logged; default label `falaj.postgres.embedded`.
    public init(configuration: Configuration, logger: Logger = Logger(label: "falaj.postgres.embedded")) {
        var configuration = configuration
        configuration.dataDirectory = configuration.dataDirectory.standardizedFileURL
        if configuration.serverDirectory == nil, let account = (try? ServerAccount.forCurrentProcess()) ?? nil,
            !EmbeddedSetup.canReachParents(of: configuration.dataDirectory, by: account)
        {
            configuration.serverDirectory = EmbeddedSetup.fallbackServerDirectory(for: configuration.dataDirectory)
            logger.notice(
                "the postgres user cannot enter a parent of the data directory; the embedded cluster lives elsewhere",
                metadata: ["data_directory": "\(configuration.dataDirectory.path)", "cluster": "\(configuration.serverRoot.path)"]
            )
        }
        self.configuration = configuration
        self.logger = logger
    }

    deinit {
        if case .running(let child, _) = state.withLock({ $0 }), child.exitStatus == nil {
            kill(EmbeddedSetup.postmasterPID(configuration) ?? child.pid, SIGINT)
        }
    }

    /// True while the server process runs.
    public var isRunning: Bool {
        if case .running(let child, _) = state.withLock({ $0 }) { return child.exitStatus == nil }
        return false
    }

    /// Starts the cluster (initialising it on first use) and returns how to reach it. Returns the same value when it already runs.
    /// - Throws: ``PostgresError`` with code ``PostgresError/Code/embeddedServer``, with the server log's tail in its debug description.
    public func start() async throws -> Cluster {
        let running: Cluster? = try state.withLock { state in
            switch state {
            case .running(let child, let cluster) where child.exitStatus == nil:
                return cluster
            case .stopped, .running:
                state = .starting
                return nil
            case .starting, .stopping:
                throw PostgresError(.embeddedServer, "the embedded Postgres server is already starting or stopping")
            }
        }
        if let running { return running }
        do {
            let (child, cluster) = try await launch()
            state.withLock { $0 = .running(child, cluster) }
            return cluster
        } catch {
            state.withLock { $0 = .stopped }
            throw error
        }
    }

    /// How to reach a server that another process started on this data directory and that accepts connections now,
    /// or nil. This instance does not own that server: ``stop()`` leaves it running. Used by `falaj admin …` commands
    /// while `falaj serve` runs.
    public func attachToRunningServer() async -> Cluster? {
        let configuration = configuration
        let conninfo = adminConfiguration.withParameter("connect_timeout", "2").conninfo
        let isServing = await BlockingPool.shared.run {
            guard let pid = EmbeddedSetup.postmasterPID(configuration), EmbeddedSetup.isServer(pid: pid, for: configuration.clusterDirectory) else {
                return false
            }
            return PQping(conninfo) == PQPING_OK
        }
        return isServing ? cluster : nil
    }

    /// Stops the server with a fast shutdown (SIGINT: open transactions roll back, connections close) and waits for it;
    /// after ``Configuration/stopTimeout`` it escalates to an immediate shutdown, then SIGKILL. Does nothing when stopped.
    public func stop() async throws {
        let child: ChildProcess? = state.withLock { state in
            guard case .running(let child, _) = state else { return nil }
            state = .stopping
            return child
        }
        guard let child else { return }
        defer { state.withLock { $0 = .stopped } }
        try await shutDown(child)
    }

    /// Starts the server if needed, waits for graceful shutdown (or cancellation), then stops it.
    /// - Throws: ``PostgresError`` when start fails or the server exits on its own.
    public func run() async throws {
        _ = try await start()
        guard case .running(let child, _) = state.withLock({ $0 }) else { return }
        let exitedOnItsOwn = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await child.waitForExit(timeout: .seconds(10 * 365 * 86_400)) != nil }
            group.addTask {
                try? await gracefulShutdown()
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        try await stop()
        if exitedOnItsOwn {
            throw PostgresError(
                .embeddedServer,
                "the embedded Postgres server stopped unexpectedly; see \(configuration.logFile.path)",
                detail: EmbeddedSetup.logTail(configuration)
            )
        }
    }

    // MARK: - Start-up

    private func launch() async throws -> (ChildProcess, Cluster) {
        let configuration = configuration
        let (account, binDirectory, needsInit, log) = try await BlockingPool.shared.run {
            let account = try ServerAccount.forCurrentProcess()
            let binDirectory = try EmbeddedSetup.binDirectory(configured: configuration.binDirectory)
            try EmbeddedSetup.prepareDirectories(configuration, account: account)
            let log = try FileHandle(forWritingTo: configuration.logFile)
            _ = try log.seekToEnd()
            return (account, binDirectory, try !EmbeddedSetup.isInitialised(configuration), log)
        }
        defer { try? log.close() }
        try await stopOrphan()
        if needsInit {
            try await initdb(binDirectory: binDirectory, account: account, log: log)
        }
        let child = try startServer(binDirectory: binDirectory, account: account, log: log)
        do {
            try await waitUntilReady(child)
            try await DatabaseRoles.ensure(admin: adminConfiguration, roles: configuration.roles, databases: configuration.databases, logger: logger)
        } catch {
            try? await shutDown(child)
            throw error
        }
        logger.info("embedded postgres ready", metadata: ["socket_directory": "\(configuration.socketDirectory.path)"])
        return (child, cluster)
    }

    private func initdb(binDirectory: URL, account: ServerAccount?, log: FileHandle) async throws {
        logger.info("initialising embedded postgres cluster", metadata: ["directory": "\(configuration.clusterDirectory.path)"])
        var arguments = [
            "-D", configuration.clusterDirectory.path, "-U", "postgres", "--auth-local=trust", "--auth-host=reject",
            "--encoding=UTF8", "--locale=C",
        ]
        if !configuration.isDurable { arguments.append("--no-sync") }
        let (program, programArguments) = EmbeddedSetup.command(binDirectory.appendingPathComponent("initdb"), arguments, as: account)
        let child = ChildProcess(
            executable: program,
            arguments: programArguments,
            environment: EmbeddedSetup.environment,
            directory: configuration.serverRoot,
            output: log
        )
        try launchOrThrow(child, what: "initdb")
        let status = await child.waitForExit(timeout: .seconds(300))
        guard status == 0 else {
            if status == nil { kill(child.pid, SIGKILL) }
            throw PostgresError(
                .embeddedServer,
                "initdb failed for the embedded Postgres cluster; see \(configuration.logFile.path)",
                detail: EmbeddedSetup.logTail(configuration)
            )
        }
    }

    private func startServer(binDirectory: URL, account: ServerAccount?, log: FileHandle) throws -> ChildProcess {
        var arguments = [
            "-D", configuration.clusterDirectory.path,
            "-k", configuration.socketDirectory.path,
            "-p", String(configuration.port),
            "-c", "listen_addresses=",
            "-c", "unix_socket_permissions=0700",
        ]
        if !configuration.isDurable {
            arguments += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        }
        let (program, programArguments) = EmbeddedSetup.command(binDirectory.appendingPathComponent("postgres"), arguments, as: account)
        let child = ChildProcess(
            executable: program,
            arguments: programArguments,
            environment: EmbeddedSetup.environment,
            directory: configuration.serverRoot,
            output: log
        )
        try launchOrThrow(child, what: "postgres")
        return child
    }

    private func launchOrThrow(_ child: ChildProcess, what: String) throws {
        do {
            try child.launch()
        } catch {
            throw PostgresError(.embeddedServer, "could not start \(what) for the embedded Postgres cluster", detail: "\(error)")
        }
    }

    /// Pings the socket every 100 ms until the server accepts connections, it exits, or the start timeout passes.
    private func waitUntilReady(_ child: ChildProcess) async throws {
        let deadline = ContinuousClock.now + configuration.startTimeout
        let conninfo = adminConfiguration.withParameter("connect_timeout", "2").conninfo
        while true {
            if child.exitStatus != nil {
                throw PostgresError(
                    .embeddedServer,
                    "the embedded Postgres server exited during start-up; see \(configuration.logFile.path)",
                    detail: EmbeddedSetup.logTail(configuration)
                )
            }
            let isReady = await BlockingPool.shared.run { PQping(conninfo) == PQPING_OK }
            if isReady { return }
            guard ContinuousClock.now < deadline else {
                throw PostgresError(
                    .embeddedServer,
                    "the embedded Postgres server did not accept connections within \(configuration.startTimeout)",
                    detail: EmbeddedSetup.logTail(configuration)
                )
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    // MARK: - Shutdown

    private func shutDown(_ child: ChildProcess) async throws {
        let pid = EmbeddedSetup.postmasterPID(configuration).flatMap {
            EmbeddedSetup.isServer(pid: $0, for: configuration.clusterDirectory) ? $0 : nil
        }
        let target = pid ?? child.pid
        for (signal, timeout) in [(SIGINT, configuration.stopTimeout), (SIGQUIT, .seconds(5)), (SIGKILL, .seconds(5))] {
            guard child.exitStatus == nil else { break }
            kill(target, signal)
            if target != child.pid { kill(child.pid, signal) }
            if await child.waitForExit(timeout: timeout) != nil {
                logger.info("embedded postgres stopped", metadata: ["signal": "\(signal)"])
                return
            }
            logger.warning("embedded postgres did not stop in time; escalating", metadata: ["signal": "\(signal)"])
        }
        if child.exitStatus == nil {
            throw PostgresError(.embeddedServer, "the embedded Postgres server did not stop")
        }
    }

    /// Stops a server left running on this data directory by an earlier process that died without stopping it.
    private func stopOrphan() async throws {
        guard let pid = EmbeddedSetup.postmasterPID(configuration), EmbeddedSetup.isServer(pid: pid, for: configuration.clusterDirectory) else {
            return
        }
        logger.warning("stopping a Postgres server left running by an earlier process", metadata: ["pid": "\(pid)"])
        for (signal, timeout) in [(SIGINT, configuration.stopTimeout), (SIGQUIT, .seconds(5)), (SIGKILL, .seconds(5))] {
            kill(pid, signal)
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if kill(pid, 0) != 0 && errno == ESRCH { return }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        throw PostgresError(.embeddedServer, "a Postgres server left running on \(configuration.clusterDirectory.path) (pid \(pid)) did not stop")
    }

    // MARK: - Configurations

    /// The superuser configuration for the cluster's socket.
    public var adminConfiguration: PostgresConfiguration {
        .unixSocket(directory: configuration.socketDirectory.path, port: configuration.port, user: "postgres", database: "postgres")
    }

    /// How to reach the cluster (valid while it runs).
    public var cluster: Cluster {
        let admin = adminConfiguration
        var databases: [String: DatabaseAccess] = [:]
        for name in configuration.databases {
            databases[name] = DatabaseAccess(
                owner: admin.withDatabase(name).withUser(configuration.roles.owner),
                app: admin.withDatabase(name).withUser(configuration.roles.app)
            )
        }
        return Cluster(admin: admin, socketDirectory: configuration.socketDirectory, databases: databases)
    }
}
