import AgentProtocol
import Foundation
import Testing

/// The wire types survive a JSON round trip with the shared encoder and decoder.
@Suite struct AgentProtocolCodingTests {
    @Test func leasedJobRoundTrips() throws {
        let job = LeasedJob(
            jobID: UUID(), tenantID: UUID(), attempt: 2, kind: "train.command", specJSON: #"{"command":["true"]}"#,
            resources: ResourceRequest(cpuMillis: 500, memoryBytes: 1 << 20, gpus: 1, gpuType: "H200", nodes: 2), gpuIndices: [0],
            token: "fjt.x", leaseExpiresAt: Date(timeIntervalSince1970: 1_800_000_000), timeoutSeconds: 60,
            gang: GangAssignment(nodeRank: 1, worldSize: 2, masterAddress: "10.0.0.1", masterPort: 29500), environment: ["A": "b"]
        )
        let data = try AgentProtocol.encoder.encode(job)
        #expect(try AgentProtocol.decoder.decode(LeasedJob.self, from: data) == job)
    }

    @Test func gangEnvironmentHasTheTorchrunVariables() {
        let gang = GangAssignment(nodeRank: 1, worldSize: 2, masterAddress: "10.0.0.1", masterPort: 29501)
        #expect(gang.environment == ["WORLD_SIZE": "2", "NODE_RANK": "1", "MASTER_ADDR": "10.0.0.1", "MASTER_PORT": "29501"])
    }

    @Test func resourcesFitAndSubtract() {
        let free = ResourceAmounts(cpuMillis: 2000, memoryBytes: 4 << 30, gpus: 1)
        #expect(free.fits(ResourceAmounts(cpuMillis: 2000, memoryBytes: 1 << 30, gpus: 1)))
        #expect(!free.fits(ResourceAmounts(cpuMillis: 2001, memoryBytes: 0)))
        #expect(!free.fits(ResourceAmounts(cpuMillis: 1, memoryBytes: 0, gpus: 2)))
        #expect(free.subtracting(ResourceAmounts(cpuMillis: 500, memoryBytes: 1 << 30)) == ResourceAmounts(cpuMillis: 1500, memoryBytes: 3 << 30, gpus: 1))
    }
}
