import AgentProtocol
import BlockingPool
import Foundation
import Glibc
public import Logging
public import ServiceLifecycle
import Subprocess
import Synchronization

/// The node agent as a ServiceLifecycle `Service`: registers (or reuses its stored identity), heartbeats, applies
/// commands, long-polls for work and runs each leased attempt concurrently.
///
/// Network failures and 5xx answers are retried with back-off while running jobs continue (a server restart is
/// survived). A refused agent credential (revoked or expired) stops leasing, kills the jobs and makes ``run()`` throw
/// ``AgentRuntimeError``. On graceful shutdown it stops leasing, terminates running jobs and reports them cancelled
/// when the server is reachable (results left undelivered stay under `<data-dir>/pending/` for the next start).
public final class AgentRuntime: Service {
    /// The settings.
    public let configuration: AgentConfiguration
    let logger: Logger
    private let onRegistered: @Sendable (StoredAgentIdentity) -> Void
    let jobs = JobTable()
    let state = Mutex<RuntimeState>(RuntimeState())

    struct RuntimeState {
        var isDraining = false
        var isStopping = false
        var stopError: AgentRuntimeError?
        var heartbeatInterval = 10
    }

    /// Creates a runtime.
    /// - Parameters:
    ///   - configuration: the agent's settings.
    ///   - logger: where it logs.
    ///   - onRegistered: called once the agent knows its identity (after registering or loading it).
    public init(configuration: AgentConfiguration, logger: Logger, onRegistered: @escaping @Sendable (StoredAgentIdentity) -> Void = { _ in }) {
        self.configuration = configuration
        self.logger = logger
        self.onRegistered = onRegistered
    }

    /// Runs until graceful shutdown, task cancellation, or revocation (which throws).
    public func run() async throws {
        let client = try AgentClient(serverURL: configuration.serverURL, caFile: configuration.caFile)
        try await prepareDataDirectory()
        let inventory = await NodeInventory.collect(
            workDirectory: configuration.dataDirectory, labels: configuration.labels, advertiseAddress: configuration.advertiseAddress,
            overrides: configuration.overrides)
        let store = CredentialStore(directory: configuration.dataDirectory)
        guard let identity = try await identify(client: client, store: store, inventory: inventory) else { return }
        client.setCredential(identity.credential.token)
        onRegistered(identity)
        let runAs = try await resolveRunAsUser()
        let reporter = ResultReporter(client: client, dataDirectory: configuration.dataDirectory, logger: logger)
        let context = LoopContext(client: client, store: store, identity: identity, inventory: inventory, reporter: reporter, runAs: runAs)

        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for pending in await reporter.loadPersisted() { await reporter.deliver(pending) }
                }
                group.addTask { await self.heartbeatLoop(context) }
                await self.leaseLoop(context) { execution in
                    group.addTask { await execution.run(release: { self.jobs.remove(execution.job) }) }
                }
                // Leasing stopped: shutdown or revocation. Stop the jobs and give their reports a bounded time.
                jobs.cancelAll(reason: state.withLock { $0.stopError != nil } ? "the agent was revoked" : "the agent is shutting down")
                let clock = ContinuousClock()
                let deadline = clock.now + configuration.shutdownReportTimeout
                while clock.now < deadline, !Task.isCancelled, jobs.count > 0 || !reporter.pending.isEmpty {
                    try? await Task.sleep(for: .milliseconds(100))
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.state.withLock { $0.isStopping = true }
        }
        if let error = state.withLock({ $0.stopError }) { throw error }
    }

    /// Stops leasing (as on graceful shutdown); running jobs are terminated and reported.
    public func stop() { state.withLock { $0.isStopping = true } }

    struct LoopContext: Sendable {
        let client: AgentClient
        let store: CredentialStore
        let identity: StoredAgentIdentity
        let inventory: AgentInventory
        let reporter: ResultReporter
        let runAs: ProcessUser?

        var total: ResourceAmounts {
            ResourceAmounts(cpuMillis: inventory.cpuCores * 1000, memoryBytes: inventory.memoryBytes, gpus: inventory.gpus.count)
        }
    }

    var isStopping: Bool { state.withLock { $0.isStopping } }

    func revoke(_ error: AgentClientError) {
        logger.critical("the server refused this agent's credential (\(error)): it was revoked or has expired; stopping")
        state.withLock {
            $0.isStopping = true
            $0.stopError = AgentRuntimeError(
                message: "agent credential refused: \(error.message). The agent was revoked or its credential expired; enrol it again with a new join token (remove \(configuration.dataDirectory)/agent.json).")
        }
    }

    private func prepareDataDirectory() async throws {
        let directory = configuration.dataDirectory
        let shared = configuration.runAsUser != nil && ProcessUser.isRoot
        try await BlockingPool.shared.run {
            try FileManager.default.createDirectory(atPath: directory + "/work", withIntermediateDirectories: true)
            // Job users must traverse to their work directory; 0711 lets them in without listing anything, and
            // agent.json stays 0600.
            chmod(directory, shared ? 0o711 : 0o700)
            chmod(directory + "/work", shared ? 0o711 : 0o700)
        }
    }

    private func resolveRunAsUser() async throws -> ProcessUser? {
        guard ProcessUser.isRoot, let name = configuration.runAsUser else { return nil }
        guard let user = await BlockingPool.shared.run({ ProcessUser.named(name) }) else {
            throw AgentRuntimeError(message: "cannot run jobs as '\(name)': no such user (set --run-as)")
        }
        return user
    }

    /// Loads the stored identity, or registers with the join token and stores it; nil when stopped meanwhile.
    private func identify(client: AgentClient, store: CredentialStore, inventory: AgentInventory) async throws -> StoredAgentIdentity? {
        if let stored = try await store.load() {
            if stored.serverURL != client.serverURL {
                logger.warning("stored identity was issued by \(stored.serverURL), now talking to \(client.serverURL)")
            }
            return stored
        }
        guard let token = configuration.joinToken, !token.isEmpty else {
            throw AgentRuntimeError(message: "this agent is not registered yet: pass --join-token (or FALAJ_JOIN_TOKEN)")
        }
        do {
            // A graceful shutdown while the server is unreachable ends the retries (CancellationError → nil).
            let response = try await cancelWhenGracefulShutdown { [logger] in
                try await AgentClient.retrying(onRetry: { error, delay in
                    logger.warning("registration failed (\(error)); retrying in \(delay.secondsText)")
                }) {
                    try await client.register(RegistrationRequest(joinToken: token, inventory: inventory))
                }
            }
            let identity = StoredAgentIdentity(agentID: response.agentID, region: response.region, serverURL: client.serverURL, credential: response.credential)
            try await store.save(identity)
            state.withLock { $0.heartbeatInterval = max(1, response.heartbeatIntervalSeconds) }
            return identity
        } catch let error as AgentClientError {
            throw AgentRuntimeError(message: "registration refused: \(error)")
        } catch {
            return nil
        }
    }
}

/// Why the agent stopped on its own (revoked, not enrolled, misconfigured).
public struct AgentRuntimeError: Error, Sendable, CustomStringConvertible {
    /// What happened and what to do.
    public let message: String
    /// The message.
    public var description: String { message }
}
