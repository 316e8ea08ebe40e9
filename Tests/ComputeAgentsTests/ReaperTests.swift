import AgentProtocol
import ComputeAgents
import Foundation
import Logging
import PostgresClient
import ServiceLifecycle
import Testing

/// The reaper marks silent agents lost; a heartbeat brings them back; the service stops on graceful shutdown.
@Suite struct ReaperTests {
    @Test func silentAgentIsMarkedLostAndComesBackWithAHeartbeat() async throws {
        var configuration = RegistryTestBed.configuration
        configuration.lostAfterSeconds = 30
        try await RegistryTestBed.with(configuration) { bed in
            let registry = bed.services.registry
            let silentCredential = try await bed.enrol().credential
            let silent = try await bed.identity(silentCredential)
            let chatty = try await bed.identity(try await bed.enrol().credential)
            let drainedCredential = try await bed.enrol().credential
            let drained = try await bed.identity(drainedCredential)
            try await registry.drain(drained.id, by: RegistryTestBed.platformOperator)
            try await bed.directory("UPDATE agents SET last_seen_at = now() - interval '5 minutes' WHERE id IN (\(silent.id), \(drained.id))")

            let reaper = AgentReaper(services: bed.services)
            let pass = await reaper.runOnce()
            #expect(Set(pass.lostAgents) == [silent.id, drained.id])
            let statuses = Dictionary(uniqueKeysWithValues: try await registry.list(by: RegistryTestBed.platformOperator).map { ($0.id, $0.status) })
            #expect(statuses[silent.id] == .lost && statuses[drained.id] == .lost && statuses[chatty.id] == .ready)
            // Already lost agents are not reported again.
            #expect(await reaper.runOnce().lostAgents.isEmpty)

            // A lost agent still authenticates; its next heartbeat makes it ready again.
            let stillKnown = try await bed.identity(silentCredential)
            #expect(stillKnown.status == .lost)
            _ = try await registry.heartbeat(stillKnown, RegistryTestBed.heartbeat())
            #expect(try await bed.identity(silentCredential).status == .ready)
            let changedAt = try await bed.directory(
                "SELECT status_changed_at > now() - interval '1 minute' AS recent FROM agents WHERE id = \(silent.id)"
            )
            #expect(try changedAt[0]["recent", as: Bool.self])
            #expect(await reaper.runOnce().lostAgents.isEmpty)

            // A drained agent that went silent comes back draining, not ready: the drain outlives the lost spell.
            let drainedAgain = try await bed.identity(drainedCredential)
            let answer = try await registry.heartbeat(drainedAgain, RegistryTestBed.heartbeat())
            #expect(try await registry.list(by: RegistryTestBed.platformOperator).first { $0.id == drained.id }?.status == .draining)
            #expect(answer.commands.contains { $0.kind == .drain })
        }
    }

    @Test func reaperStopsOnGracefulShutdown() async throws {
        var configuration = RegistryTestBed.configuration
        configuration.reaperIntervalSeconds = 3600
        try await RegistryTestBed.with(configuration) { bed in
            let group = ServiceGroup(
                services: bed.services.backgroundServices,
                gracefulShutdownSignals: [],
                logger: Logger(label: "falaj.reaper.test")
            )
            // Bounded only around the shutdown itself (setting up the databases may be slow on a loaded machine).
            let stopped = try await withThrowingTaskGroup(of: Bool.self) { tasks in
                tasks.addTask {
                    try await group.run()
                    return true
                }
                try await Task.sleep(for: .milliseconds(200))
                await group.triggerGracefulShutdown()
                tasks.addTask {
                    try? await Task.sleep(for: .seconds(60))
                    return false
                }
                let first = try await tasks.next() ?? false
                tasks.cancelAll()
                return first
            }
            #expect(stopped, "the background services ended within 60 s of the graceful shutdown")
        }
    }
}
