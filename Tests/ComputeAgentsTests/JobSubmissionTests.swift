import AgentProtocol
@testable import ComputeAgents
import Foundation
import PostgresClient
import Residency
import Tenancy
import TestSupport
import Testing

/// Submitting jobs: validation naming the field, plan limits, permissions and residency.
@Suite struct JobSubmissionTests {
    @Test func invalidSubmissionsNameTheField() async throws {
        try await DispatchFixture.with { fixture in
            let owner = try await fixture.tenant("Validators")
            let quota = JobQuota(maximumActiveJobs: 10, isGPUAllowed: true, maximumNodes: 8)
            let cases: [(JobSubmission, String)] = [
                (JobSubmission(kind: "Train.Command"), "kind"),
                (JobSubmission(kind: "train..command"), "kind"),
                (JobSubmission(kind: "drift.check", name: String(repeating: "n", count: 201)), "name"),
                (JobSubmission(kind: "drift.check", specJSON: "[1, 2]"), "spec"),
                (JobSubmission(kind: "train.command", specJSON: #"{"command": []}"#), "spec"),
                (JobSubmission(kind: "train.command", specJSON: #"{"cmd": "python"}"#), "spec"),
                (JobSubmission(kind: "drift.check", resources: ResourceRequest(cpuMillis: 0)), "resources.cpuMillis"),
                (JobSubmission(kind: "drift.check", resources: ResourceRequest(memoryBytes: -1)), "resources.memoryBytes"),
                (JobSubmission(kind: "drift.check", resources: ResourceRequest(gpus: 65)), "resources.gpus"),
                (JobSubmission(kind: "drift.check", resources: ResourceRequest(nodes: 0)), "resources.nodes"),
                (JobSubmission(kind: "drift.check", nodeSelector: ["bad key!": "x"]), "nodeSelector"),
                (JobSubmission(kind: "drift.check", priority: 101), "priority"),
                (JobSubmission(kind: "drift.check", maxAttempts: 0), "maxAttempts"),
                (JobSubmission(kind: "drift.check", timeoutSeconds: 604_801), "timeoutSeconds"),
            ]
            for (submission, field) in cases {
                await #expect(throws: ComputeAgentsError.self) { try await fixture.jobs.submit(submission, quota: quota, context: owner) }
                do {
                    _ = try await fixture.jobs.submit(submission, quota: quota, context: owner)
                } catch ComputeAgentsError.invalidFields(let fields) {
                    #expect(fields[field] != nil, "expected an error on \(field), got \(fields)")
                }
            }
            // A valid command job is queued with its spec, allowed regions and a fair-share position.
            let job = try await fixture.jobs.submit(
                JobSubmission(kind: "train.command", name: "fit", specJSON: #"{"command": ["python", "train.py"]}"#), quota: quota, context: owner
            )
            #expect(job.state == .queued && job.attempt == 0 && job.allowedRegions == ["eu-west-1"])
            #expect(try await fixture.jobs.list(state: nil, limit: 10, context: owner).map(\.id) == [job.id])
        }
    }

    @Test func planLimitsAreExplained() async throws {
        try await DispatchFixture.with { fixture in
            let owner = try await fixture.tenant("Small Plan")
            let quota = JobQuota(maximumActiveJobs: 2, isGPUAllowed: false, maximumNodes: 1)
            await #expect(throws: ComputeAgentsError.quotaExceeded("Your plan does not include GPU jobs; ask for 0 GPUs or upgrade the plan")) {
                try await fixture.submit(owner, resources: ResourceRequest(gpus: 1), quota: quota)
            }
            await #expect(throws: ComputeAgentsError.quotaExceeded("Your plan allows jobs on at most 1 node; this job asks for 2")) {
                try await fixture.submit(owner, resources: ResourceRequest(nodes: 2), quota: quota)
            }
            try await fixture.submit(owner, quota: quota)
            try await fixture.submit(owner, quota: quota)
            do {
                try await fixture.submit(owner, quota: quota)
                Issue.record("a third active job was accepted")
            } catch ComputeAgentsError.quotaExceeded(let message) {
                #expect(message.hasPrefix("Your plan allows 2 jobs at once"))
            }
        }
    }

    @Test func submittingNeedsJobsWriteAndIsAudited() async throws {
        try await DispatchFixture.with { fixture in
            let owner = try await fixture.tenant("Auditors")
            var reader = owner
            reader.permissions.remove(.jobsWrite)
            await #expect(throws: ComputeAgentsError.self) { try await fixture.submit(reader) }
            let job = try await fixture.submit(owner)
            let actions = try await fixture.environment.asSuperuser(region: "eu-west-1") { connection in
                try await connection.query("SELECT action, target FROM audit_events WHERE tenant_id = \(owner.tenantID.rawValue) AND action LIKE 'job.%'")
                    .map { "\(try $0["action", as: String.self]) \(try $0["target", as: String.self])" }
            }
            #expect(actions == ["job.submitted job:\(job.id.uuidString.lowercased())"])
        }
    }

    @Test func anExplicitRegionTheResidencyPolicyRefusesIsRefusedAndAudited() async throws {
        try await DispatchFixture.with { fixture in
            let uae = try await fixture.tenant("Dubai Dates", region: "me-central-1")
            do {
                try await fixture.submit(uae, region: "eu-west-1")
                Issue.record("a job was placed outside the residency policy")
            } catch ComputeAgentsError.placementRefused(let refusal) {
                #expect(refusal.region == "eu-west-1" && refusal.operation == .process)
            }
            let refusals = try await fixture.environment.asSuperuser(region: "me-central-1") { connection in
                try await connection.query(
                    "SELECT count(*) AS n FROM audit_events WHERE tenant_id = \(uae.tenantID.rawValue) AND action = 'residency.placement_refused'"
                )[0]["n", as: Int.self]
            }
            #expect(refusals == 1)
            #expect(try await fixture.jobs.list(state: nil, limit: 10, context: uae).isEmpty)
            // Without a region the job may run only where the policy allows: the UAE.
            #expect(try await fixture.submit(uae).allowedRegions == ["me-central-1"])
        }
    }
}
