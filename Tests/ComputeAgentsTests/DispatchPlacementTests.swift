import AgentProtocol
@testable import ComputeAgents
import Foundation
import PostgresClient
import Residency
import Tenancy
import TestSupport
import Testing

/// Where jobs go: residency, resources and GPU indices, dedicated agents, labels; and why they wait.
@Suite struct DispatchPlacementTests {
    @Test func aUAEJobIsLeasedOnlyByAnAgentInTheUAE() async throws {
        try await DispatchFixture.with { fixture in
            let uae = try await fixture.tenant("Dubai Dates", region: "me-central-1")
            let europe = try await fixture.agent(region: "eu-west-1")
            let dubai = try await fixture.agent(region: "me-central-1")
            let job = try await fixture.submit(uae)
            #expect(try await fixture.lease(europe).isEmpty)
            let leased = try await fixture.lease(dubai)
            #expect(leased.map(\.jobID) == [job.id])
            #expect(leased.first?.environment["FALAJ_JOB_ID"] == job.id.uuidString.lowercased())
            #expect(leased.first?.environment["FALAJ_API"] == "https://falaj.test")
            #expect(leased.first?.environment["FALAJ_TENANT_ID"] == uae.tenantID.description)
            #expect(leased.first?.token.hasPrefix("fjt.me-central-1.") == true)
            let detail = try await fixture.jobs.detail(job.id, context: uae)
            #expect(detail.summary.state == .leased && detail.summary.attempt == 1)
            #expect(detail.attempts.map(\.agentID) == [dubai.id] && detail.attempts.first?.state == "delivered")
        }
    }

    @Test func jobsFitTheFreeResourcesAndGetDistinctGPUs() async throws {
        try await DispatchFixture.with { fixture in
            let owner = try await fixture.tenant("GPU Lab")
            let agent = try await fixture.agent(gpus: ["NVIDIA H200", "NVIDIA H200", "NVIDIA H200"])
            let two = try await fixture.submit(owner, resources: ResourceRequest(cpuMillis: 1000, memoryBytes: 1 << 30, gpus: 2, gpuType: "h200"))
            let one = try await fixture.submit(owner, resources: ResourceRequest(cpuMillis: 1000, memoryBytes: 1 << 30, gpus: 1))
            let another = try await fixture.submit(owner, resources: ResourceRequest(cpuMillis: 1000, memoryBytes: 1 << 30, gpus: 1))
            let wrongType = try await fixture.submit(owner, resources: ResourceRequest(cpuMillis: 1000, memoryBytes: 1 << 30, gpus: 1, gpuType: "A100"))
            let tooBig = try await fixture.submit(owner, resources: ResourceRequest(cpuMillis: 9000, memoryBytes: 1 << 30))
            let leased = try await fixture.lease(agent, maxJobs: 10)
            #expect(Set(leased.map(\.jobID)) == [two.id, one.id])
            let indices = leased.flatMap(\.gpuIndices)
            #expect(indices.sorted() == [0, 1, 2])
            #expect(leased.first { $0.jobID == two.id }?.gpuIndices.count == 2)
            // With one GPU free (index 1) the next job gets exactly that one.
            let next = try await fixture.dispatcher.lease(
                agent, LeaseRequest(free: ResourceAmounts(cpuMillis: 8000, memoryBytes: 8 << 30, gpus: 1), freeGPUIndices: [1], maxJobs: 5, waitSeconds: 0)
            ).jobs
            #expect(next.map(\.jobID) == [another.id] && next.first?.gpuIndices == [1])
            let queued = Set(try await fixture.jobs.list(state: .queued, limit: 10, context: owner).map(\.id))
            #expect(queued == [wrongType.id, tooBig.id])
            // The directory shows what the agent has left after the lease.
            let freeGPUs = try await fixture.environment.asSuperuserInDirectory { connection in
                try await connection.query("SELECT free_gpus FROM agents WHERE id = \(agent.id)")[0]["free_gpus", as: Int.self]
            }
            #expect(freeGPUs == 0)
        }
    }

    @Test func dedicatedAgentsRunOnlyTheirTenantsJobsAndSelectorsNeedLabels() async throws {
        try await DispatchFixture.with { fixture in
            let alpha = try await fixture.tenant("Alpha")
            let beta = try await fixture.tenant("Beta")
            let alphaOnly = try await fixture.agent(dedicatedTo: alpha.tenantID)
            let betaJob = try await fixture.submit(beta)
            #expect(try await fixture.lease(alphaOnly).isEmpty)
            let alphaJob = try await fixture.submit(alpha)
            #expect(try await fixture.lease(alphaOnly).map(\.jobID) == [alphaJob.id])
            let shared = try await fixture.agent(labels: ["pool": "batch"])
            let labelled = try await fixture.submit(beta, nodeSelector: ["pool": "gpu"])
            #expect(try await fixture.lease(shared).map(\.jobID) == [betaJob.id])
            #expect(try await fixture.lease(shared).isEmpty)
            let gpuPool = try await fixture.agent(labels: ["pool": "gpu", "zone": "a"])
            #expect(try await fixture.lease(gpuPool).map(\.jobID) == [labelled.id])
        }
    }

    @Test func agentsThatAreNotReadyGetNoWork() async throws {
        try await DispatchFixture.with { fixture in
            let owner = try await fixture.tenant("Drainers")
            var agent = try await fixture.agent()
            try await fixture.submit(owner)
            agent.status = .draining
            #expect(try await fixture.lease(agent).isEmpty)
            agent.status = .ready
            #expect(try await fixture.lease(agent).count == 1)
        }
    }

    @Test func waitingJobsExplainWhy() async throws {
        try await DispatchFixture.with { fixture in
            let uae = try await fixture.tenant("Dubai Dates", region: "me-central-1")
            let europe = try await fixture.tenant("Lisbon Labs")
            _ = try await fixture.agent(region: "eu-west-1")
            let noAgent = try await fixture.submit(uae)
            let gpu = try await fixture.submit(europe, resources: ResourceRequest(gpus: 1))
            let busy = try await fixture.submit(europe, resources: ResourceRequest(cpuMillis: 2000))
            try await fixture.inCell("me-central-1", "UPDATE jobs SET updated_at = now() - interval '1 minute'")
            try await fixture.inCell("eu-west-1", "UPDATE jobs SET updated_at = now() - interval '1 minute'")
            #expect(try await fixture.dispatcher.explainWaitingJobs() == 3)
            let notes = try await [
                fixture.jobs.detail(noAgent.id, context: uae).summary.placementNote,
                fixture.jobs.detail(gpu.id, context: europe).summary.placementNote,
                fixture.jobs.detail(busy.id, context: europe).summary.placementNote,
            ]
            #expect(notes[0] == "No agent is enrolled in the regions the residency policy allows (me-central-1); "
                + "agents in eu-west-1 are not used: the residency policy does not allow processing there")
            #expect(notes[1] == "No agent in eu-west-1 has 1 GPU")
            #expect(notes[2] == "Waiting for free capacity on 1 suitable agent")
            // Nothing changed, nothing rewritten.
            try await fixture.inCell("eu-west-1", "UPDATE jobs SET updated_at = now() - interval '1 minute'")
            #expect(try await fixture.dispatcher.explainWaitingJobs() == 0)
        }
    }
}
