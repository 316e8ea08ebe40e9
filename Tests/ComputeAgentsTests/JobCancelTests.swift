import AgentProtocol
@testable import ComputeAgents
import Foundation
import PostgresClient
import Residency
import Tenancy
import TestSupport
import Testing

/// Cancelling jobs, and what heartbeats learn from reconcile.
@Suite struct JobCancelTests {
    @Test func aQueuedJobIsCancelledAtOnceAndAFinishedOneCannotBe() async throws {
        try await DispatchFixture.with { fixture in
            let owner = try await fixture.tenant("Cancellers")
            let job = try await fixture.submit(owner)
            let cancelled = try await fixture.jobs.cancel(job.id, context: owner)
            #expect(cancelled.state == .cancelled && cancelled.finishedAt != nil)
            let agent = try await fixture.agent()
            #expect(try await fixture.lease(agent).isEmpty)
            await #expect(throws: ComputeAgentsError.self) { try await fixture.jobs.cancel(job.id, context: owner) }
            await #expect(throws: ComputeAgentsError.self) { try await fixture.jobs.cancel(UUID(), context: owner) }
            let audited = try await fixture.environment.asSuperuser(region: "eu-west-1") { connection in
                try await connection.query("SELECT count(*) AS n FROM audit_events WHERE action = 'job.cancelled'")[0]["n", as: Int.self]
            }
            #expect(audited == 1)
        }
    }

    @Test func aRunningJobIsCancelledThroughTheAgent() async throws {
        try await DispatchFixture.with { fixture in
            let owner = try await fixture.tenant("Stoppers")
            let agent = try await fixture.agent()
            let job = try await fixture.submit(owner)
            let leased = try #require(try await fixture.lease(agent).first)
            let scope = try await fixture.scope(leased)
            let running = [RunningJobReport(jobID: job.id, attempt: 1)]
            #expect(try await fixture.dispatcher.reconcile(agent, running: running).isEmpty)
            let requested = try await fixture.jobs.cancel(job.id, context: owner)
            #expect(requested.state == .leased && requested.isCancelRequested)
            let commands = try await fixture.dispatcher.reconcile(agent, running: running)
            #expect(commands.map(\.kind) == [.cancelJob] && commands.first?.jobID == job.id && commands.first?.attempt == 1)
            let answer = try await fixture.dispatcher.reportResult(scope, JobResultReport(outcome: .cancelled, message: "killed by signal 15"))
            #expect(answer.state == "cancelled")
            #expect(try await fixture.jobs.detail(job.id, context: owner).summary.state == .cancelled)
        }
    }

    @Test func aCancelledJobWhoseAgentIsLostEndsCancelled() async throws {
        try await DispatchFixture.with { fixture in
            let owner = try await fixture.tenant("Lost Cancels")
            let agent = try await fixture.agent()
            let job = try await fixture.submit(owner)
            _ = try await fixture.lease(agent)
            _ = try await fixture.jobs.cancel(job.id, context: owner)
            #expect(try await fixture.dispatcher.releaseLeases(ofAgent: agent.id, reason: "agent lost") == 1)
            #expect(try await fixture.jobs.detail(job.id, context: owner).summary.state == .cancelled)
        }
    }

    @Test func reconcileCancelsStaleAndForeignAttemptsAndRenewsCurrentOnes() async throws {
        try await DispatchFixture.with { fixture in
            let owner = try await fixture.tenant("Reconcilers")
            let first = try await fixture.agent()
            let second = try await fixture.agent()
            let job = try await fixture.submit(owner)
            _ = try await fixture.lease(first)
            try await fixture.inCell("eu-west-1", "UPDATE jobs SET lease_expires_at = now() + interval '2 seconds'")
            // The second agent claims a job it does not hold, and a job nobody knows.
            let foreign = try await fixture.dispatcher.reconcile(second, running: [RunningJobReport(jobID: job.id, attempt: 1), RunningJobReport(jobID: UUID(), attempt: 1)])
            #expect(foreign.count == 2 && foreign.allSatisfy { $0.kind == .cancelJob })
            // The holder's report renews the lease.
            #expect(try await fixture.dispatcher.reconcile(first, running: [RunningJobReport(jobID: job.id, attempt: 1)]).isEmpty)
            let remaining = try await fixture.environment.asSuperuser(region: "eu-west-1") { connection in
                try await connection.query("SELECT extract(epoch FROM lease_expires_at - now())::float8 AS s FROM jobs")[0]["s", as: Double.self]
            }
            #expect(remaining > 10)
            // After the agent was lost and the job moved to another, the old attempt is stale.
            _ = try await fixture.dispatcher.releaseLeases(ofAgent: first.id, reason: "agent lost")
            #expect(try await fixture.lease(second).first?.attempt == 2)
            let stale = try await fixture.dispatcher.reconcile(first, running: [RunningJobReport(jobID: job.id, attempt: 1)])
            #expect(stale.map(\.kind) == [.cancelJob])
            #expect(try await fixture.dispatcher.reconcile(second, running: [RunningJobReport(jobID: job.id, attempt: 2)]).isEmpty)
        }
    }
}
