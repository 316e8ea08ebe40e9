public import Foundation
import Logging
import PostgresClient
import Residency
public import ServiceLifecycle

/// The registry's housekeeping, run every ``ComputeAgentsConfiguration/reaperIntervalSeconds``: marks agents lost
/// that stopped heartbeating and releases their leases, then lets the dispatcher expire unrenewed leases, release
/// stale gang reservations and explain why waiting jobs wait. Errors are logged and the next pass carries on; the
/// service ends promptly on graceful shutdown.
public struct AgentReaper: Service {
    /// What one pass did.
    public struct Pass: Sendable, Equatable {
        /// Agents marked lost in this pass.
        public var lostAgents: [UUID] = []
        /// Jobs queued again because their agent was lost.
        public var releasedJobs = 0
        /// Leases that ended unrenewed.
        public var expiredLeases = 0
        /// Gang reservations released after their timeout.
        public var releasedGangs = 0
        /// Waiting jobs whose placement note was written.
        public var explainedJobs = 0
    }

    /// Why the leases of a lost agent are released (shown on its jobs).
    static let lostReason = "the agent stopped sending heartbeats"

    let context: ComputeAgentsContext
    let dispatcher: Dispatcher

    /// A reaper over the services' directory and cells, with their configuration.
    /// - Parameter services: the control plane whose agents and leases it watches.
    public init(services: ComputeAgentsServices) {
        self.init(context: services.context, dispatcher: services.dispatcher)
    }

    init(context: ComputeAgentsContext, dispatcher: Dispatcher) {
        self.context = context
        self.dispatcher = dispatcher
    }

    /// Runs a pass, then sleeps for the interval, until graceful shutdown or cancellation.
    public func run() async throws {
        let interval = Duration.seconds(max(1, context.configuration.reaperIntervalSeconds))
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await runOnce()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// One pass; every step runs even when an earlier one fails (the failure is logged).
    @discardableResult
    public func runOnce() async -> Pass {
        var pass = Pass()
        do {
            pass.lostAgents = try await markLostAgents()
        } catch {
            context.logger.error("reaper: cannot mark lost agents", metadata: ["error": "\(String(reflecting: error))"])
        }
        for agent in pass.lostAgents {
            context.logger.warning("reaper: agent lost", metadata: ["agent": "\(agent)"])
            do {
                pass.releasedJobs += try await dispatcher.releaseLeases(ofAgent: agent, reason: Self.lostReason)
            } catch {
                context.logger.error(
                    "reaper: cannot release a lost agent's leases",
                    metadata: ["agent": "\(agent)", "error": "\(String(reflecting: error))"]
                )
            }
        }
        pass.expiredLeases = await step("expire leases") { try await dispatcher.expireLeases() }
        pass.releasedGangs = await step("release stale gangs") { try await dispatcher.releaseStaleGangs() }
        pass.explainedJobs = await step("explain waiting jobs") { try await dispatcher.explainWaitingJobs() }
        return pass
    }

    /// Ready and draining agents not seen for ``ComputeAgentsConfiguration/lostAfterSeconds`` become lost.
    func markLostAgents() async throws -> [UUID] {
        let lostAfter = context.configuration.lostAfterSeconds
        return try await context.router.directory.withConnection { connection in
            try await connection.query(
                """
                UPDATE agents SET status = 'lost', status_changed_at = now()
                WHERE status IN ('ready', 'draining') AND last_seen_at < now() - make_interval(secs => \(lostAfter))
                RETURNING id
                """
            ).map { try $0["id", as: UUID.self] }
        }
    }

    /// Runs one dispatcher step, logging a failure as zero work.
    private func step(_ name: String, _ body: () async throws -> Int) async -> Int {
        do {
            return try await body()
        } catch {
            context.logger.error("reaper: cannot \(name)", metadata: ["error": "\(String(reflecting: error))"])
            return 0
        }
    }
}
