import ComputeAgents
import Foundation
import Learning
import Logging
import Platform
import PostgresClient
@testable import Portal
import Residency
import Tabular
import Tenancy
import TestSupport
import Testing

/// Changing a live deployment on real replicas: a variant added through the API starts with no traffic, and a variant
/// rolled out to another model version switches without a failed prediction while traffic flows; the old replica
/// drains, then its job is cancelled.
@Suite(.serialized) struct RolloutEndToEndTests {
    @Test func aRolloutSwitchesAVariantToANewVersionWithoutAFailedPrediction() async throws {
        try await AgentCluster.with { cluster in
            let agent = try await cluster.agent(region: "me-central-1")
            let (platform, owner, jobs) = (cluster.server.platform, cluster.owner, cluster.server.computeAgents.jobs)
            _ = try await ServingEndToEndTests.registeredChurnModels([.boostedTrees, .logistic], cluster: cluster, agent: agent)
            let form = DeploymentForm(name: "churn-roll", variants: [VariantForm(name: "main", model: "churn", version: 1, weight: 100)])
            _ = try await platform.deployments.create(form, project: "churn", jobs: jobs, quota: ServingEndToEndTests.quota, context: owner)
            let key = try await APIFixtures.key(cluster.server, owner, permissions: [.predict, .deploymentsRead, .deploymentsWrite, .jobsWrite])
            let browser = cluster.server.browser()
            func deployment() async throws -> Deployment { try await platform.deployments.get("churn-roll", context: owner) }
            func waitUntil(_ what: String, timeout: Duration = .seconds(60), _ condition: (Deployment) -> Bool) async throws {
                let deadline = ContinuousClock.now + timeout
                var current = try await deployment()
                while !condition(current) {
                    guard ContinuousClock.now < deadline else {
                        Issue.record("\(what) never happened: \(current) \(agent.log)")
                        return
                    }
                    try await Task.sleep(for: .milliseconds(200))
                    current = try await deployment()
                }
            }
            try await waitUntil("main serving") { $0.variants[0].replicas.contains(where: \.isServing) }

            // A shadow variant added through the API: no traffic of its own, its own replica, a copy of every request.
            let taken = try await browser.api("POST", "/api/v1/deployments/churn-roll/variants", json: #"{"name": "main", "model": "churn", "version": 2}"#, bearer: key)
            #expect(taken.statusCode == 422 && taken.bodyText.contains("name"), "\(taken.bodyText)")
            let added = try await browser.api(
                "POST", "/api/v1/deployments/churn-roll/variants", json: #"{"name": "shadow", "model": "churn", "version": 2, "shadow": true}"#, bearer: key)
            #expect(added.statusCode == 201 && added.bodyText.contains(#""shadow":true"#), "\(added.bodyText)")
            try await waitUntil("the shadow serving") { $0.variants.first { $0.name == "shadow" }?.replicas.contains(where: \.isServing) == true }
            #expect(try await deployment().variants.map(\.weight) == [100, 0])
            let shareForShadow = try await browser.api("PUT", "/api/v1/deployments/churn-roll/traffic", json: #"{"weights": {"main": 50, "shadow": 50}}"#, bearer: key)
            #expect(shareForShadow.statusCode == 422 && shareForShadow.bodyText.contains("copy of the traffic"), "\(shareForShadow.bodyText)")

            // Refusals: the version it serves, an unknown variant.
            #expect(try await browser.api("PUT", "/api/v1/deployments/churn-roll/variants/main", json: #"{"version": 1}"#, bearer: key).statusCode == 409)
            #expect(try await browser.api("PUT", "/api/v1/deployments/churn-roll/variants/nope", json: #"{"version": 2}"#, bearer: key).statusCode == 404)

            // Every request's payload is stored, without 'spend', which the project's catalog marks sensitive.
            _ = try await platform.entities.create(EntityForm(name: "customer", joinKey: "customer_id"), project: "churn", context: owner)
            _ = try await platform.featureGroups.create(
                FeatureGroupForm(
                    name: "billing", entity: "customer",
                    features: [FeatureDefinition(name: "spend", type: .float, pii: .sensitive), FeatureDefinition(name: "plan", type: .string)]),
                project: "churn", context: owner)
            let outOfRange = try await browser.api("PUT", "/api/v1/deployments/churn-roll/payload-logging", json: #"{"sample_percent": 150}"#, bearer: key)
            #expect(outOfRange.statusCode == 422 && outOfRange.bodyText.contains("sample_percent"), "\(outOfRange.bodyText)")
            let sampling = try await browser.api("PUT", "/api/v1/deployments/churn-roll/payload-logging", json: #"{"sample_percent": 100}"#, bearer: key)
            #expect(sampling.statusCode == 200 && sampling.bodyText.contains(#""payload_sample_percent":100"#), "\(sampling.bodyText)")

            // Traffic flows while main moves from v1 to v2.
            let oldReplicas = try await deployment().variants.first { $0.name == "main" }!.replicas.map(\.jobID)
            try await Task.sleep(for: .seconds(1.1))  // past the gateway's routing cache
            let traffic = Task { () -> [(status: Int, version: Int)] in
                var seen: [(Int, Int)] = []
                let end = ContinuousClock.now + .seconds(30)
                while ContinuousClock.now < end && !Task.isCancelled {
                    let response: HTTPTestResponse
                    do {
                        response = try await browser.api("POST", "/v1/predict/churn-roll", json: #"{"rows": [{"usage": 3, "plan": "pro", "tenure": 5, "spend": 9}]}"#, bearer: key)
                    } catch where Task.isCancelled {
                        break  // the test has seen enough; a request cut short by the cancel is not the server's failure
                    }
                    seen.append((response.statusCode, APIFixtures.json(response)["version"] as? Int ?? 0))
                    try? await Task.sleep(for: .milliseconds(10))
                }
                return seen
            }
            try await Task.sleep(for: .seconds(1))
            let started = try await browser.api("PUT", "/api/v1/deployments/churn-roll/variants/main", json: #"{"version": 2}"#, bearer: key)
            #expect(started.statusCode == 202, "\(started.bodyText)")
            #expect(try await browser.api("PUT", "/api/v1/deployments/churn-roll/variants/main", json: #"{"version": 2}"#, bearer: key).statusCode == 409, "one at a time")
            try await waitUntil("the switch to v2") { $0.variants.first { $0.name == "main" }?.version == 2 }
            try await waitUntil("the old replica drained", timeout: .seconds(60)) { current in
                current.variants.first { $0.name == "main" }!.replicas.filter { oldReplicas.contains($0.jobID) }.allSatisfy { $0.state.isFinal }
            }
            traffic.cancel()
            let seen = try await traffic.value
            #expect(seen.count > 50 && seen.allSatisfy { $0.status == 200 }, "every prediction during the rollout succeeded: \(seen.filter { $0.status != 200 })")
            #expect(seen.first?.version == 1 && seen.suffix(10).allSatisfy { $0.version == 2 }, "\(seen.map(\.version))")

            #expect(seen.count > 50 && seen.allSatisfy { $0.version != 0 }, "every answer came from main, none from the shadow")

            // The shadow answered a copy of every request (logged only), and shares the feedback of the request it copied.
            let firstID = try await cluster.server.environment.router.withTenantTransaction(owner.tenantID) { connection in
                try await connection.query("SELECT request_id FROM prediction_log WHERE variant = 'main' ORDER BY created_at LIMIT 1")[0]["request_id", as: String.self]
            }
            #expect(try await browser.api("POST", "/v1/feedback/\(firstID)", json: #"{"label": "true"}"#, bearer: key).statusCode == 204)
            await platform.predictionLog.flush()
            let results = try await platform.deployments.results("churn-roll", context: owner)
            let mainFigures = try #require(results.variants.first { $0.name == "main" })
            let shadowFigures = try #require(results.variants.first { $0.name == "shadow" })
            #expect(shadowFigures.requests >= mainFigures.requests - 2 && shadowFigures.errors == 0, "\(results.variants)")
            #expect(shadowFigures.labelled == 1 && mainFigures.labelled == 1, "\(results.variants)")

            await platform.predictionLog.flush()
            func storedCount() async throws -> Int {
                try await cluster.server.environment.router.withTenantTransaction(owner.tenantID) { connection in
                    try await connection.query("SELECT count(*) AS n FROM prediction_payloads")[0]["n", as: Int.self]
                }
            }
            let count = try await storedCount()
            #expect(count >= seen.count, "\(count) payloads for \(seen.count) predictions (and the shadow's copies are not stored)")
            let stored = try await browser.api("GET", "/api/v1/deployments/churn-roll/payloads?limit=20", bearer: key)
            let payloads = APIFixtures.json(stored)["items"] as? [[String: Any]] ?? []
            #expect(payloads.count == 20, "\(stored.bodyText.prefix(300))")
            for payload in payloads {
                let rows = (payload["request"] as? [String: Any])?["rows"] as? [[String: Any]] ?? []
                #expect(rows.count == 1 && rows[0]["spend"] == nil && rows[0]["usage"] as? Double == 3, "\(payload)")
                #expect(payload["excluded"] as? [String] == ["spend"] && (payload["response"] as? [String: Any])?["predictions"] != nil, "\(payload)")
            }
            _ = try await platform.deployments.setPayloadSampling(0, deployment: "churn-roll", context: owner)
            try await Task.sleep(for: .seconds(1.1))  // past the gateway's routing cache
            _ = try await browser.api("POST", "/v1/predict/churn-roll", json: #"{"rows": [{"usage": 3, "plan": "pro", "tenure": 5, "spend": 9}]}"#, bearer: key)
            await platform.predictionLog.flush()
            #expect(try await storedCount() == count, "sampling off stores nothing")
            // Stored payloads expire under the tenant's retention policy (90 days unless set).
            try await cluster.server.environment.router.withTenantTransaction(owner.tenantID) { connection in
                try await connection.execute(
                    "UPDATE prediction_payloads SET created_at = now() - interval '91 days' WHERE request_id IN (SELECT request_id FROM prediction_payloads LIMIT 3)")
            }
            let expired = try await RetentionService(router: cluster.server.environment.router, logger: Logger(label: "test")).enforce(owner.tenantID)
            let remaining = try await storedCount()
            #expect(expired["prediction_payloads"] == 3 && remaining == count - 3, "\(expired)")

            // The page's charts: the traffic in 10-second steps per variant (the shadow's copies as their own line).
            let timeline = try await platform.deployments.timeline("churn-roll", context: owner)
            let mainBuckets = timeline.variants["main"] ?? []
            #expect(mainBuckets.count >= 2 && mainBuckets.map(\.requests).reduce(0, +) >= seen.count, "\(timeline)")
            #expect((timeline.variants["shadow"] ?? []).count >= 2 && mainBuckets.allSatisfy { $0.errors == 0 && $0.p99Milliseconds >= $0.p50Milliseconds })
            let charts = DeploymentViews.charts(timeline)
            #expect(charts.map { $0["title"] as? String } == ["requests per second", "p99 latency (ms)", "failed answers (%)"])
            #expect(charts.allSatisfy { ($0["lines"] as? [[String: Any]])?.count == 2 }, "a line for main and one for the shadow")

            let main = try await deployment().variants.first { $0.name == "main" }!
            #expect(main.rolloutVersion == nil && main.replicas.filter(\.isServing).map(\.version) == [2], "\(main)")
            #expect(main.replicas.filter { oldReplicas.contains($0.jobID) }.allSatisfy { $0.role == "retired" && $0.state == .cancelled }, "\(main)")
            let reasons = try await platform.deployments.history("churn-roll", context: owner).map(\.reason)
            #expect(reasons.last == "variant main: v1 → v2 (rollout)", "\(reasons)")
            let audited = try await cluster.audited("deployment.%")
            #expect(
                audited == [
                    "deployment.created by user", "deployment.variant_added by api_key", "deployment.payload_logging_changed by api_key",
                    "deployment.rollout_started by api_key", "deployment.rollout_completed by system", "deployment.payload_logging_changed by user",
                ], "\(audited)")
        }
    }
}
