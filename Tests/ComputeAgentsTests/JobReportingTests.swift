import AgentProtocol
@testable import ComputeAgents
import FalajCrypto
import Foundation
import PostgresClient
import Residency
import Tenancy
import TestSupport
import Testing

/// What a running attempt sends back: logs, events, artifacts and its result, through its job-scoped token.
@Suite struct JobReportingTests {
    @Test func logChunksAreStoredOnceAndReadInOrder() async throws {
        try await DispatchFixture.with { fixture in
            let owner = try await fixture.tenant("Loggers")
            let agent = try await fixture.agent()
            let job = try await fixture.submit(owner)
            let leased = try #require(try await fixture.lease(agent).first)
            let scope = try await fixture.scope(leased)
            #expect(scope == JobTokenScope(tenantID: owner.tenantID, jobID: job.id, attempt: 1, nodeRank: 0))
            #expect(try await fixture.dispatcher.appendLog(scope, seq: 1, data: Array("world\n".utf8)).isNew)
            #expect(try await fixture.dispatcher.appendLog(scope, seq: 0, data: Array("hello ".utf8)).isNew)
            #expect(try await !fixture.dispatcher.appendLog(scope, seq: 0, data: Array("hello ".utf8)).isNew)
            let chunks = try await fixture.jobs.logs(job.id, after: nil, limit: 10, context: owner)
            #expect(chunks.map(\.seq) == [0, 1])
            #expect(String(decoding: chunks.flatMap(\.data), as: UTF8.self) == "hello world\n")
            #expect(try await fixture.jobs.logs(job.id, after: (1, 0, 0), limit: 10, context: owner).map(\.seq) == [1])
            // Unknown or malformed tokens are refused.
            #expect(try await fixture.dispatcher.authenticateJob("fjt.eu-west-1.\(SecureRandom.token())") == nil)
            #expect(try await fixture.dispatcher.authenticateJob("fjt.mars-1.\(SecureRandom.token())") == nil)
            #expect(try await fixture.dispatcher.authenticateJob("not-a-token") == nil)
        }
    }

    @Test func aStartedEventMakesTheJobRunningAndMetricsAreKept() async throws {
        try await DispatchFixture.with { fixture in
            let owner = try await fixture.tenant("Metrics")
            let agent = try await fixture.agent()
            let job = try await fixture.submit(owner)
            let scope = try await fixture.scope(try #require(try await fixture.lease(agent).first))
            try await fixture.dispatcher.recordEvents(
                scope, JobEventBatch(events: [JobEventReport(kind: .started), JobEventReport(kind: .metric, name: "loss", step: 1, value: 0.5)])
            )
            let detail = try await fixture.jobs.detail(job.id, context: owner)
            #expect(detail.summary.state == .running && detail.summary.startedAt != nil)
            #expect(detail.attempts.first?.state == "started")
            #expect(detail.events.map(\.report.kind) == [.started, .metric])
            #expect(detail.events.last?.report.value == 0.5 && detail.events.last?.report.name == "loss")
        }
    }

    @Test func anArtifactIsListedOnlyWhenItsDigestMatches() async throws {
        try await DispatchFixture.with { fixture in
            let owner = try await fixture.tenant("Artists")
            let agent = try await fixture.agent()
            let job = try await fixture.submit(owner)
            let scope = try await fixture.scope(try #require(try await fixture.lease(agent).first))
            let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let body = ByteChunks(chunks: [Array(bytes[..<100_000]), Array(bytes[100_000...])])
            let wrong = String(repeating: "0", count: 64)
            await #expect(throws: ComputeAgentsError.self) {
                try await fixture.dispatcher.storeArtifact(scope, path: "model/Weights.bin", sha256: wrong, body: body)
            }
            #expect(try await fixture.jobs.detail(job.id, context: owner).artifacts.isEmpty)
            await #expect(throws: ComputeAgentsError.self) {
                try await fixture.dispatcher.storeArtifact(scope, path: "../escape", sha256: SHA256.hexString(bytes), body: body)
            }
            let receipt = try await fixture.dispatcher.storeArtifact(scope, path: "model/Weights.bin", sha256: SHA256.hexString(bytes), body: body)
            #expect(receipt == ArtifactReceipt(path: "model/Weights.bin", sizeBytes: 300_000, sha256: SHA256.hexString(bytes)))
            #expect(try await fixture.jobs.detail(job.id, context: owner).artifacts.map(\.path) == ["model/Weights.bin"])
            let collected = Collected()
            let size = try await fixture.jobs.readArtifact(job.id, path: "model/Weights.bin", context: owner) { await collected.append($0) }
            #expect(size == 300_000)
            #expect(await collected.bytes == bytes)
        }
    }

    @Test func resultsAreIdempotentAndAStaleAttemptIsRefused() async throws {
        try await DispatchFixture.with(configure: { $0.leaseSeconds = 3 }) { fixture in
            let owner = try await fixture.tenant("Finishers")
            let agent = try await fixture.agent()
            let done = try await fixture.submit(owner)
            let doneScope = try await fixture.scope(try #require(try await fixture.lease(agent).first))
            let report = JobResultReport(outcome: .succeeded, exitCode: 0, cpuSeconds: 1.5, peakMemoryBytes: 1 << 20, wallSeconds: 2)
            let first = try await fixture.dispatcher.reportResult(doneScope, report)
            #expect(first.state == "succeeded" && first.isNew)
            let again = try await fixture.dispatcher.reportResult(doneScope, report)
            #expect(again.state == "succeeded" && !again.isNew)
            let summary = try await fixture.jobs.detail(done.id, context: owner)
            #expect(summary.summary.state == .succeeded && summary.summary.exitCode == 0 && summary.attempts.first?.cpuSeconds == 1.5)

            // The next job's lease runs out; the reaper queues it again and its late result is refused.
            let lost = try await fixture.submit(owner)
            let lostScope = try await fixture.scope(try #require(try await fixture.lease(agent).first))
            try await fixture.inCell("eu-west-1", "UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE state = 'leased'")
            #expect(try await fixture.dispatcher.expireLeases() == 1)
            let requeued = try await fixture.jobs.detail(lost.id, context: owner).summary
            #expect(requeued.state == .queued && requeued.attempt == 1)
            #expect(requeued.placementNote.hasPrefix("Attempt 1 was lost: its lease expired"))
            await #expect(throws: ComputeAgentsError.self) { try await fixture.dispatcher.reportResult(lostScope, report) }
            await #expect(throws: ComputeAgentsError.self) { try await fixture.dispatcher.appendLog(lostScope, seq: 0, data: [1]) }
            #expect(try await fixture.dispatcher.authenticateJob(try #require(try await fixture.lease(agent).first).token) != nil)
            #expect(try await fixture.jobs.detail(lost.id, context: owner).summary.attempt == 2)
        }
    }

    @Test func aFailedCommandIsNotRetriedButALostOneRunsOutOfAttempts() async throws {
        try await DispatchFixture.with { fixture in
            let owner = try await fixture.tenant("Failures")
            let agent = try await fixture.agent()
            let failing = try await fixture.submit(owner, maxAttempts: 3)
            let scope = try await fixture.scope(try #require(try await fixture.lease(agent).first))
            let answer = try await fixture.dispatcher.reportResult(scope, JobResultReport(outcome: .failed, exitCode: 2))
            #expect(answer.state == "failed")
            #expect(try await fixture.jobs.detail(failing.id, context: owner).summary.message == "Exited with status 2")

            let fragile = try await fixture.submit(owner, maxAttempts: 2)
            for round in 1...2 {
                #expect(try await fixture.lease(agent).first?.attempt == round)
                #expect(try await fixture.dispatcher.releaseLeases(ofAgent: agent.id, reason: "agent lost") == 1)
            }
            let summary = try await fixture.jobs.detail(fragile.id, context: owner).summary
            #expect(summary.state == .failed && summary.message.contains("lost 2 times"))
        }
    }
}

/// Collects streamed bytes.
actor Collected {
    var bytes: [UInt8] = []
    func append(_ chunk: [UInt8]) { bytes += chunk }
}
