import AgentProtocol
@testable import ComputeAgents
import Foundation
import PostgresClient
import Residency
import Tenancy
import TestSupport
import Testing

/// Multi-node jobs start on a gang of agents reserved all-or-nothing.
@Suite struct GangSchedulingTests {
    static let twoNodes = ResourceRequest(cpuMillis: 1000, memoryBytes: 1 << 30, nodes: 2)

    @Test func twoSuitableAgentsGetRanksWithTheSameRendezvous() async throws {
        try await DispatchFixture.with { fixture in
            let owner = try await fixture.tenant("Torch Runners")
            let leader = try await fixture.agent(address: "10.1.0.1")
            let member = try await fixture.agent(address: "10.1.0.2")
            let job = try await fixture.submit(owner, resources: Self.twoNodes)
            let first = try #require(try await fixture.lease(leader).first)
            let second = try #require(try await fixture.lease(member).first)
            #expect(first.jobID == job.id && second.jobID == job.id && first.attempt == 1 && second.attempt == 1)
            let (rank0, rank1) = (try #require(first.gang), try #require(second.gang))
            #expect(rank0.nodeRank == 0 && rank1.nodeRank == 1 && rank0.worldSize == 2 && rank1.worldSize == 2)
            #expect(rank0.masterAddress == "10.1.0.1" && rank1.masterAddress == "10.1.0.1")
            #expect(rank0.masterPort == rank1.masterPort && (29_500...30_499).contains(rank0.masterPort))
            #expect(second.environment["MASTER_PORT"] == String(rank0.masterPort) && second.environment["NODE_RANK"] == "1")
            #expect(first.token != second.token)
            let scopes = try await [fixture.scope(first), fixture.scope(second)]
            #expect(scopes.map(\.nodeRank) == [0, 1])
            #expect(try await fixture.dispatcher.gangStatus(scopes[0]).state == .start)
            #expect(try await fixture.dispatcher.gangStatus(scopes[1]).state == .start)
            // The job ends when every rank has reported.
            #expect(try await fixture.dispatcher.reportResult(scopes[0], JobResultReport(outcome: .succeeded, exitCode: 0)).state == "leased")
            #expect(try await fixture.dispatcher.reportResult(scopes[1], JobResultReport(outcome: .succeeded, exitCode: 0)).state == "succeeded")
        }
    }

    @Test func withOnlyOneSuitableAgentNeitherStartsAndTheNoteSaysWhy() async throws {
        try await DispatchFixture.with { fixture in
            let owner = try await fixture.tenant("Lonely Gang")
            let suitable = try await fixture.agent(labels: ["pool": "train"])
            let unlabelled = try await fixture.agent()
            let job = try await fixture.submit(owner, resources: Self.twoNodes, nodeSelector: ["pool": "train"])
            #expect(try await fixture.lease(unlabelled).isEmpty)
            #expect(try await fixture.lease(suitable).isEmpty)
            let summary = try await fixture.jobs.detail(job.id, context: owner)
            #expect(summary.summary.state == .queued && summary.attempts.isEmpty)
            #expect(summary.summary.placementNote == "Needs 2 nodes; only 1 suitable agent in eu-west-1")
            try await fixture.inCell("eu-west-1", "UPDATE jobs SET updated_at = now() - interval '1 minute'")
            _ = try await fixture.dispatcher.explainWaitingJobs()
            #expect(try await fixture.jobs.detail(job.id, context: owner).summary.placementNote == "Needs 2 nodes; only 1 suitable agent in eu-west-1")
        }
    }

    @Test func aGangNotPickedUpInTimeIsReleasedAllOrNothing() async throws {
        try await DispatchFixture.with(configure: { $0.gangTimeoutSeconds = 1 }) { fixture in
            let owner = try await fixture.tenant("Slow Gang")
            let leader = try await fixture.agent()
            let member = try await fixture.agent()
            let job = try await fixture.submit(owner, resources: Self.twoNodes, maxAttempts: 1)
            let first = try #require(try await fixture.lease(leader).first)
            let scope = try await fixture.scope(first)
            try await fixture.inCell("eu-west-1", "UPDATE job_attempts SET assigned_at = now() - interval '1 minute'")
            #expect(try await fixture.dispatcher.releaseStaleGangs() == 1)
            let summary = try await fixture.jobs.detail(job.id, context: owner)
            #expect(summary.summary.state == .queued)
            #expect(summary.summary.placementNote == "Gang released: only 1 of 2 members picked up within 1 s")
            #expect(summary.attempts.map(\.state) == ["released", "released"])
            #expect(try await fixture.dispatcher.gangStatus(scope).state == .abort)
            #expect(try await fixture.dispatcher.reconcile(leader, running: [RunningJobReport(jobID: job.id, attempt: 1)]).map(\.kind) == [.cancelJob])
            // The released reservation did not use up the job's only attempt: it forms again and runs.
            let again = try #require(try await fixture.lease(member).first)
            let joined = try #require(try await fixture.lease(leader).first)
            #expect(again.attempt == 2 && again.gang?.nodeRank == 0 && joined.gang?.nodeRank == 1)
        }
    }

    @Test func aGangThatCannotFormDoesNotHoldUpTheSingleNodeJobsBehindIt() async throws {
        try await DispatchFixture.with { fixture in
            let owner = try await fixture.tenant("Mixed Queue")
            let agent = try await fixture.agent()
            let gang = try await fixture.submit(owner, resources: Self.twoNodes)
            let single = try await fixture.submit(owner)
            // One lease: the gang ahead cannot form (one agent), so the walk goes on to the single-node job.
            #expect(try await fixture.lease(agent).map(\.jobID) == [single.id])
            let waiting = try await fixture.jobs.detail(gang.id, context: owner).summary
            #expect(waiting.state == .queued && waiting.placementNote == "Needs 2 nodes; only 1 suitable agent in eu-west-1")
        }
    }

    @Test func aReservedRankComesBeforeQueuedWork() async throws {
        try await DispatchFixture.with { fixture in
            let owner = try await fixture.tenant("Rank First")
            let leader = try await fixture.agent()
            let member = try await fixture.agent()
            let gang = try await fixture.submit(owner, resources: Self.twoNodes)
            #expect(try await fixture.lease(leader).first?.gang?.nodeRank == 0)
            let queued = try await fixture.submit(owner, kind: "train.builtin")
            // The member holds rank 1 of the gang; its next lease hands that over first, then queued work in the same answer.
            let jobs = try await fixture.lease(member, maxJobs: 2)
            #expect(jobs.map(\.jobID) == [gang.id, queued.id])
            #expect(jobs.first?.gang?.nodeRank == 1 && jobs.last?.gang == nil)
        }
    }
}
