import AgentProtocol
@testable import ComputeAgents
import Foundation
import PostgresClient
import Residency
import ServiceLifecycle
import Tenancy
import TestSupport
import Testing

/// Many agents at once, tenants taking turns, and long-polls woken by new work.
@Suite struct DispatchConcurrencyTests {
    @Test func concurrentAgentsLeaseEveryJobExactlyOnce() async throws {
        try await DispatchFixture.with { fixture in
            let owner = try await fixture.tenant("Busy Bees")
            var submitted: Set<UUID> = []
            for _ in 0..<40 { submitted.insert(try await fixture.submit(owner, resources: ResourceRequest(cpuMillis: 100, memoryBytes: 1 << 20)).id) }
            var agents: [AgentIdentity] = []
            for _ in 0..<4 { agents.append(try await fixture.agent()) }
            let leased = try await withThrowingTaskGroup(of: [UUID].self) { group in
                for agent in agents {
                    group.addTask {
                        var mine: [UUID] = []
                        while true {
                            let jobs = try await fixture.lease(agent, maxJobs: 3)
                            if jobs.isEmpty { return mine }
                            mine += jobs.map(\.jobID)
                        }
                    }
                }
                var all: [UUID] = []
                for try await part in group { all += part }
                return all
            }
            #expect(leased.count == 40)
            #expect(Set(leased) == submitted)
            let attempts = try await fixture.environment.asSuperuser(region: "eu-west-1") { connection in
                try await connection.query("SELECT count(*) AS n FROM job_attempts")[0]["n", as: Int.self]
            }
            #expect(attempts == 40)
        }
    }

    @Test func aTenantFloodingTheQueueDoesNotStarveAnother() async throws {
        try await DispatchFixture.with { fixture in
            let flooder = try await fixture.tenant("Flooder")
            let modest = try await fixture.tenant("Modest")
            for _ in 0..<30 { try await fixture.submit(flooder) }
            let agent = try await fixture.agent()
            #expect(try await fixture.lease(agent, maxJobs: 3).count == 3)
            let single = try await fixture.submit(modest)
            let next = try await fixture.lease(agent).map(\.jobID) + fixture.lease(agent).map(\.jobID)
            #expect(next.contains(single.id))
        }
    }

    @Test func aWaitingLeaseIsWokenBySubmittedWork() async throws {
        try await DispatchFixture.with { fixture in
            let owner = try await fixture.tenant("Pollers")
            let agent = try await fixture.agent()
            async let waiting = fixture.dispatcher.lease(agent, DispatchFixture.request(for: agent, waitSeconds: 10))
            try await Task.sleep(for: .milliseconds(300))
            let job = try await fixture.submit(owner)
            let response = try await waiting
            #expect(response.jobs.map(\.jobID) == [job.id])
        }
    }

    @Test func theWakeUpServiceListensForNotificationsFromOtherProcesses() async throws {
        try await DispatchFixture.with { fixture in
            let owner = try await fixture.tenant("Remote Submitters")
            let agent = try await fixture.agent()
            let signal = fixture.services.context.dispatch.signal
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await fixture.dispatcher.wakeUpService.run() }
                // Wait until the listeners are up (each start fires the signal once).
                let start = signal.generation
                while signal.generation < start + 2 { try await Task.sleep(for: .milliseconds(20)) }
                // Another control plane queued a job: insert and NOTIFY without this process's in-memory signal.
                async let waiting = fixture.dispatcher.lease(agent, DispatchFixture.request(for: agent, waitSeconds: 10))
                try await Task.sleep(for: .milliseconds(200))
                let before = signal.generation
                try await fixture.environment.asSuperuser(region: "eu-west-1") { connection in
                    _ = try await connection.execute("SELECT pg_notify('falaj_dispatch', '')")
                }
                while signal.generation == before { try await Task.sleep(for: .milliseconds(20)) }
                try await fixture.submit(owner)
                #expect(try await waiting.jobs.count == 1)
                group.cancelAll()
            }
        }
    }
}
