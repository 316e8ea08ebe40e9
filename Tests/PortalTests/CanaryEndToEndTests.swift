import ComputeAgents
import Foundation
import Learning
import Platform
import PostgresClient
import Residency
import Tenancy
import TestSupport
import Testing

/// Canary rollouts on real replicas, with the serving controller running in the background (a pass a second in tests):
/// a healthy candidate walks its steps to all the traffic; a candidate slower than its p99 guardrail, and one whose
/// replicas are gone (every answer a failure), are rolled back on their own, with the reason in the history and the
/// audit trail; an abort by hand restores the traffic before.
@Suite(.serialized) struct CanaryEndToEndTests {
    @Test func aCanaryAdvancesCompletesAndRollsBackOnItsOwnWhenAGuardrailTrips() async throws {
        try await AgentCluster.with { cluster in
            let agent = try await cluster.agent(region: "me-central-1")
            let (platform, owner, jobs) = (cluster.server.platform, cluster.owner, cluster.server.computeAgents.jobs)
            _ = try await ServingEndToEndTests.registeredChurnModels([.boostedTrees, .logistic], cluster: cluster, agent: agent)
            let form = DeploymentForm(
                name: "churn-live",
                variants: [VariantForm(name: "a", model: "churn", version: 1, weight: 100), VariantForm(name: "b", model: "churn", version: 2, weight: 0)])
            _ = try await platform.deployments.create(form, project: "churn", jobs: jobs, quota: ServingEndToEndTests.quota, context: owner)
            let deadline = ContinuousClock.now + .seconds(60)
            var deployment = try await platform.deployments.get("churn-live", context: owner)
            while !deployment.variants.allSatisfy({ $0.replicas.contains(where: \.isServing) }) && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
                deployment = try await platform.deployments.get("churn-live", context: owner)
            }
            #expect(deployment.variants.allSatisfy { $0.replicas.contains(where: \.isServing) }, "\(deployment) \(agent.log)")

            let key = try await APIFixtures.key(cluster.server, owner, permissions: [.predict, .deploymentsRead, .deploymentsWrite])
            let browser = cluster.server.browser()
            let path = "/api/v1/deployments/churn-live"
            func weights() async throws -> [String: Int] {
                Dictionary(uniqueKeysWithValues: try await platform.deployments.get("churn-live", context: owner).variants.map { ($0.name, $0.weight) })
            }
            /// Predicts one at a time until the newest canary is no longer running (bounded); the statuses seen.
            func predictUntilSettled(timeout: Duration = .seconds(60)) async throws -> (canary: Canary?, statuses: [Int]) {
                let body = #"{"rows": [{"usage": 2.5, "plan": "free", "tenure": 10, "spend": 40}]}"#
                var statuses: [Int] = []
                let end = ContinuousClock.now + timeout
                while ContinuousClock.now < end {
                    statuses.append(try await browser.api("POST", "/v1/predict/churn-live", json: body, bearer: key).statusCode)
                    if statuses.count % 10 == 0, let newest = try await platform.deployments.canaries("churn-live", context: owner).first, newest.state != "running" {
                        return (newest, statuses)
                    }
                    try await Task.sleep(for: .milliseconds(20))
                }
                return (try await platform.deployments.canaries("churn-live", context: owner).first, statuses)
            }

            // Refused forms name their field; nothing starts.
            let backwards = try await browser.api("POST", path + "/canary", json: #"{"candidate": "b", "steps": [50, 10]}"#, bearer: key)
            #expect(backwards.statusCode == 422 && backwards.bodyText.contains("steps"), "\(backwards.bodyText)")
            let unknown = try await browser.api("POST", path + "/canary", json: #"{"candidate": "c"}"#, bearer: key)
            #expect(unknown.statusCode == 422 && unknown.bodyText.contains("candidate"), "\(unknown.bodyText)")
            #expect(try await browser.api("POST", path + "/canary/abort", json: "{}", bearer: key).statusCode == 409)

            // Aborted by hand: the traffic from before comes back.
            let started = try await browser.api("POST", path + "/canary", json: #"{"candidate": "b", "steps": [30], "bake_seconds": 3600}"#, bearer: key)
            #expect(started.statusCode == 201, "\(started.bodyText)")
            #expect(try await weights() == ["a": 70, "b": 30])
            #expect(try await browser.api("POST", path + "/canary", json: #"{"candidate": "b"}"#, bearer: key).statusCode == 409, "one at a time")
            let aborted = try await browser.api("POST", path + "/canary/abort", json: #"{"reason": "wrong day"}"#, bearer: key)
            #expect(aborted.statusCode == 200 && APIFixtures.json(aborted)["state"] as? String == "aborted", "\(aborted.bodyText)")
            #expect(try await weights() == ["a": 100, "b": 0])

            // A healthy candidate: 20% → 50% → all of it, each step baked 2 s over at least 5 answers.
            let healthy = try await browser.api(
                "POST", path + "/canary", json: #"{"candidate": "b", "steps": [20, 50], "bake_seconds": 2, "max_error_rate": 0.05, "min_requests": 5}"#, bearer: key)
            #expect(healthy.statusCode == 201, "\(healthy.bodyText)")
            let completed = try await predictUntilSettled()
            #expect(completed.canary?.state == "completed", "\(String(describing: completed.canary))")
            #expect(completed.statuses.allSatisfy { $0 == 200 }, "\(completed.statuses.filter { $0 != 200 })")
            #expect(try await weights() == ["a": 0, "b": 100])

            // A candidate slower than its p99 guardrail (1 µs: every answer is slower) is rolled back by the controller.
            _ = try await platform.deployments.startCanary(
                CanaryForm(candidate: "a", steps: [50], bakeSeconds: 3600, maxP99Milliseconds: 0.001, minRequests: 3), deployment: "churn-live", context: owner)
            let slow = try await predictUntilSettled()
            #expect(slow.canary?.state == "rolled_back" && slow.canary?.reason.contains("p99 latency") == true, "\(String(describing: slow.canary))")
            #expect(try await weights() == ["a": 0, "b": 100])

            // A failing candidate: its replica is gone, so every answer routed to it fails (502 until the routing table
            // notices, then 503); rolled back on the error rate, and the predictions after it all succeed on b.
            _ = try await platform.deployments.startCanary(
                CanaryForm(candidate: "a", steps: [50], bakeSeconds: 3600, maxErrorRate: 0.05, minRequests: 5), deployment: "churn-live", context: owner)
            for replica in try await platform.deployments.get("churn-live", context: owner).variants.first(where: { $0.name == "a" })!.replicas {
                _ = try await jobs.cancel(replica.jobID, context: owner)
            }
            let failing = try await predictUntilSettled()
            #expect(failing.canary?.state == "rolled_back" && failing.canary?.reason.contains("error rate") == true, "\(String(describing: failing.canary))")
            #expect(failing.statuses.contains { $0 >= 500 }, "the failing candidate's answers (502 while its replica stops, then 503): \(Set(failing.statuses))")
            #expect(try await weights() == ["a": 0, "b": 100])
            try await Task.sleep(for: .seconds(1.1))  // past the gateway's routing cache
            for _ in 0..<10 {
                let response = try await browser.api("POST", "/v1/predict/churn-live", json: #"{"rows": [{"usage": 1, "plan": "pro", "tenure": 2, "spend": 3}]}"#, bearer: key)
                #expect(response.statusCode == 200 && APIFixtures.json(response)["variant"] as? String == "b", "\(response.bodyText)")
            }

            // Every shift and rollback is a revision with its reason, and audited (the controller's as Falaj itself).
            let reasons = try await platform.deployments.history("churn-live", context: owner).map(\.reason)
            #expect(reasons.contains { $0.hasPrefix("canary of b, step 2 of 2: 50% (step 1 of 2 (20%) baked") }, "\(reasons)")
            #expect(reasons.contains { $0.hasPrefix("canary of b completed: 100%") }, "\(reasons)")
            #expect(reasons.contains { $0.hasPrefix("canary of a rolled back: p99 latency") }, "\(reasons)")
            #expect(reasons.last?.hasPrefix("canary of a rolled back: error rate") == true, "\(reasons)")
            let audited = try await cluster.audited("deployment.canary%")
            #expect(
                audited == [
                    "deployment.canary_started by api_key", "deployment.canary_aborted by api_key", "deployment.canary_started by api_key",
                    "deployment.canary_advanced by system", "deployment.canary_completed by system", "deployment.canary_started by user",
                    "deployment.canary_rolled_back by system", "deployment.canary_started by user", "deployment.canary_rolled_back by system",
                ], "\(audited)")
            let listed = try await browser.api("GET", path + "/canaries", bearer: key)
            #expect(listed.statusCode == 200 && (APIFixtures.json(listed)["items"] as? [[String: Any]])?.count == 4, "\(listed.bodyText)")
        }
    }
}
