import AgentProtocol
import ComputeAgents
import Foundation
import Learning
import Platform
import PostgresClient
import Residency
import Tabular
import Tenancy
import TestSupport
import Testing

/// A registered built-in model served by a real agent as a `serve.replica` job: predictions over HTTP equal the model
/// file's own, bad rows are refused field by field, and cancelling the job stops the server.
@Suite(.serialized) struct ServingEndToEndTests {
    @Test func anAgentServesARegisteredModelAndStopsWhenTheJobIsCancelled() async throws {
        try await AgentCluster.with { cluster in
            let agent = try await cluster.agent(region: "me-central-1")
            let (platform, owner, jobs, quota) = (cluster.server.platform, cluster.owner, cluster.server.computeAgents.jobs, Self.quota)
            let version = try await Self.registeredChurnModels([.boostedTrees], cluster: cluster, agent: agent)[0]
            let model = try await platform.models.get("churn", project: "churn", context: owner).0

            let spec = ServeReplicaSpec(model: .init(modelID: model.id, name: "churn", version: version.version, sha256: version.sha256, format: version.format))
            let replica = try await jobs.submit(
                JobSubmission(
                    kind: ServeReplicaSpec.kind, name: "churn v1 replica", specJSON: String(decoding: try JSONEncoder().encode(spec), as: UTF8.self),
                    resources: ResourceRequest(cpuMillis: 500, memoryBytes: 256 << 20), maxAttempts: 1, timeoutSeconds: 3600),
                quota: quota, context: owner)
            let ready = try await cluster.waitFor(replica.id, timeout: .seconds(60)) { detail in
                detail.summary.state.isFinal || detail.events.contains { $0.report.message?.hasPrefix(ServeReplicaSpec.readyPrefix) == true }
            }
            let line = try #require(ready.events.compactMap(\.report.message).first { $0.hasPrefix(ServeReplicaSpec.readyPrefix) }, "\(ready) \(agent.log)")
            let portText = line.split(separator: ":").last.map(String.init) ?? ""
            let port = try #require(Int(portText), "\(line)")
            #expect(line == "ready at http://127.0.0.1:\(port)")
            let replicaClient = PortalBrowser(port: port)

            // The served predictions are the model file's own.
            let bytes = ByteBox()
            let (_, stream) = try await platform.models.download(1, of: "churn", project: "churn", context: owner)
            try await stream { bytes.append($0) }
            let file = try ModelFile.decode(bytes.bytes)
            let rows: [[String: Any]] = [
                ["usage": 9.5, "plan": "pro", "tenure": 12, "spend": 120.5], ["usage": 0.5, "plan": "free", "tenure": 3, "spend": NSNull()],
                ["usage": 4, "plan": "unseen-plan", "tenure": 30, "spend": 50.0],
            ]
            let response = try await replicaClient.request(
                "POST", "/v1/predict", headers: [("Content-Type", "application/json")], body: Array(try JSONSerialization.data(withJSONObject: ["rows": rows])))
            #expect(response.statusCode == 200, "\(response.bodyText)")
            let answer = try #require(try JSONSerialization.jsonObject(with: Data(response.bodyText.utf8)) as? [String: Any])
            let predictions = try #require(answer["predictions"] as? [[String: Any]])
            let expected: [[TabularValue]] = [
                [.float(9.5), .string("pro"), .int(12), .float(120.5)], [.float(0.5), .string("free"), .int(3), .null],
                [.float(4), .string("unseen-plan"), .int(30), .float(50)],
            ]
            #expect(predictions.count == 3 && answer["model"] as? String == "churn" && answer["version"] as? Int == 1)
            for (served, row) in zip(predictions, expected) {
                let local = file.predict(row)
                #expect(served["label"] as? String == local.label)
                #expect(abs((served["value"] as? Double ?? -1) - local.value) < 1e-12)
                #expect(((served["probabilities"] as? [String: Double])?["true"]).map { abs($0 - local.probabilities[1]) < 1e-12 } == true)
            }
            #expect(try await replicaClient.request("GET", "/healthz").statusCode == 200)

            // Bad rows are refused naming each field; nothing is predicted.
            let bad = try await replicaClient.request(
                "POST", "/v1/predict", headers: [("Content-Type", "application/json")],
                body: Array(#"{"rows": [{"usage": "high", "plan": "pro", "tenure": 1.5, "spend": 1, "colour": "red"}, {"plan": "pro", "tenure": 2, "spend": 3}]}"#.utf8))
            #expect(bad.statusCode == 400)
            let problem = try #require(try JSONSerialization.jsonObject(with: Data(bad.bodyText.utf8)) as? [String: Any])
            let fields = (problem["errors"] as? [[String: Any]] ?? []).map { "\($0["row"] ?? "-"):\($0["field"] ?? "-")" }
            #expect(Set(fields) == ["0:usage", "0:tenure", "0:colour", "1:usage"], "\(problem)")
            let notJSON = try await replicaClient.request("POST", "/v1/predict", headers: [("Content-Type", "application/json")], body: Array("rows=1".utf8))
            #expect(notJSON.statusCode == 400)

            // Cancelling the job stops the server.
            _ = try await jobs.cancel(replica.id, context: owner)
            let ended = try await cluster.waitFor(replica.id, timeout: .seconds(60)) { $0.summary.state.isFinal }
            #expect(ended.summary.state == .cancelled)
            await #expect(throws: (any Error).self, "nothing listens any more") {
                _ = try await replicaClient.request("GET", "/healthz")
            }
        }
    }

    @Test func theGatewaySplitsTrafficByWeightKeepsRoutingKeysStickyAndChecksAccess() async throws {
        try await AgentCluster.with { cluster in
            let agent = try await cluster.agent(region: "me-central-1")
            let (platform, owner, jobs, quota) = (cluster.server.platform, cluster.owner, cluster.server.computeAgents.jobs, Self.quota)
            _ = try await Self.registeredChurnModels([.boostedTrees, .logistic], cluster: cluster, agent: agent)

            await #expect(throws: PlatformError.self, "weights must add up to 100") {
                _ = try await platform.deployments.create(
                    DeploymentForm(name: "churn-api", variants: [VariantForm(name: "a", model: "churn", version: 1, weight: 50)]), project: "churn",
                    jobs: jobs, quota: quota, context: owner)
            }
            let form = DeploymentForm(
                name: "churn-api",
                variants: [VariantForm(name: "a", model: "churn", version: 1, weight: 70), VariantForm(name: "b", model: "churn", version: 2, weight: 30)])
            _ = try await platform.deployments.create(form, project: "churn", jobs: jobs, quota: quota, context: owner)
            let deadline = ContinuousClock.now + .seconds(60)
            var deployment = try await platform.deployments.get("churn-api", context: owner)
            while !deployment.variants.allSatisfy({ $0.replicas.contains(where: \.isServing) }) && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
                deployment = try await platform.deployments.get("churn-api", context: owner)
            }
            #expect(deployment.variants.allSatisfy { $0.replicas.contains(where: \.isServing) }, "\(deployment) \(agent.log)")
            try await Task.sleep(for: .seconds(1.1))  // past the gateway's routing cache

            let key = try await APIFixtures.key(cluster.server, owner, permissions: [.predict])
            let browser = cluster.server.browser()
            let body = #"{"rows": [{"usage": 2.5, "plan": "free", "tenure": 10, "spend": 40}]}"#
            var counts: [String: Int] = [:]
            var answered: [(id: String, variant: String, label: String)] = []
            for _ in 0..<200 {
                let response = try await browser.api("POST", "/v1/predict/churn-api", json: body, bearer: key)
                #expect(response.statusCode == 200, "\(response.bodyText)")
                let answer = APIFixtures.json(response)
                let variant = answer["variant"] as? String ?? "?"
                counts[variant, default: 0] += 1
                answered.append((answer["request_id"] as? String ?? "", variant, (answer["predictions"] as? [[String: Any]])?.first?["label"] as? String ?? ""))
                #expect(answer["version"] as? Int == (variant == "a" ? 1 : 2) && (answer["request_id"] as? String)?.isEmpty == false)
                #expect((answer["predictions"] as? [[String: Any]])?.count == 1)
            }
            // 70/30 of 200: 140 expected, standard deviation 6.5; four of them either way.
            #expect((114...166).contains(counts["a"] ?? 0) && (counts["a"] ?? 0) + (counts["b"] ?? 0) == 200, "\(counts)")

            // Feedback: variant a is always right and earns 10 or 11; b is always wrong and earns 12 or 13.
            var seen: [String: Int] = [:]
            for prediction in answered {
                let truth = prediction.variant == "a" ? prediction.label : (prediction.label == "true" ? "false" : "true")
                seen[prediction.variant, default: 0] += 1
                let value = (prediction.variant == "a" ? 10.0 : 12.0) + Double(seen[prediction.variant]! % 2)
                let response = try await browser.api("POST", "/v1/feedback/\(prediction.id)", json: #"{"label": "\#(truth)", "value": \#(value)}"#, bearer: key)
                #expect(response.statusCode == 204, "\(response.bodyText)")
            }
            #expect(try await browser.api("POST", "/v1/feedback/no-such-request", json: #"{"label": "true"}"#, bearer: key).statusCode == 404)
            #expect(try await browser.api("POST", "/v1/feedback/\(answered[0].id)", json: "{}", bearer: key).statusCode == 422)
            let results = try await platform.deployments.results("churn-api", context: owner)
            let a = try #require(results.variants.first { $0.name == "a" })
            let b = try #require(results.variants.first { $0.name == "b" })
            #expect(a.requests == counts["a"] && b.requests == counts["b"] && a.errors == 0 && a.p50Milliseconds != nil, "\(results)")
            #expect(a.accuracy == 1 && b.accuracy == 0 && a.labelled == counts["a"])
            let comparison = try #require(results.comparisons.first)
            #expect(comparison.control == "a" && comparison.variant == "b")
            #expect(comparison.accuracy.map { $0.difference == -1 && $0.isSignificant } == true)
            #expect(comparison.outcome.map { abs($0.difference - 2) < 0.02 && $0.isSignificant && $0.lower < 2 && $0.upper > 2 } == true, "\(comparison)")
            #expect(comparison.labelsNeeded != nil, "a 5-point change needs more labels than these")

            var sticky: Set<String> = []
            for _ in 0..<20 {
                let response = try await browser.request(
                    "POST", "/v1/predict/churn-api", headers: [("Authorization", "Bearer \(key)"), ("Content-Type", "application/json"), ("X-Falaj-Routing-Key", "customer-42")],
                    body: Array(body.utf8))
                sticky.insert(APIFixtures.json(response)["variant"] as? String ?? "?")
            }
            #expect(sticky.count == 1, "one routing key, one variant: \(sticky)")

            let bad = try await browser.api("POST", "/v1/predict/churn-api", json: #"{"rows": [{"usage": "x", "plan": "pro", "tenure": 1, "spend": 1}]}"#, bearer: key)
            #expect(bad.statusCode == 400 && bad.bodyText.contains("usage"), "\(bad.bodyText)")
            let row = #"{"usage": 1, "plan": "pro", "tenure": 1, "spend": 1}"#
            let tooMany = try await browser.api(
                "POST", "/v1/predict/churn-api", json: #"{"rows": ["# + Array(repeating: row, count: 10_001).joined(separator: ",") + "]}", bearer: key)
            #expect(tooMany.statusCode == 400 && tooMany.bodyText.contains("at most 10000 rows"), "\(tooMany.bodyText.prefix(300))")
            // A body announced over the gateway's 16 MiB is refused from its head, before any of it is read.
            let raw = try await HTTPTestClient.connect(port: cluster.server.port)
            try await raw.send(
                "POST /v1/predict/churn-api HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer \(key)\r\nContent-Type: application/json\r\n"
                    + "Content-Length: \(17 << 20)\r\n\r\n{\"rows\": [")
            #expect(try await raw.readResponse().statusCode == 413)
            let notJSON = try await browser.api("POST", "/v1/predict/churn-api", json: "rows=1", bearer: key)
            #expect(notJSON.statusCode == 400, "\(notJSON.bodyText)")
            #expect(try await browser.api("POST", "/v1/predict/nope", json: body, bearer: key).statusCode == 404)
            let reader = try await APIFixtures.key(cluster.server, owner, permissions: [.deploymentsRead])
            #expect(try await browser.api("POST", "/v1/predict/churn-api", json: body, bearer: reader).statusCode == 403)
            #expect(try await browser.api("POST", "/v1/predict/churn-api", json: body, bearer: nil).statusCode == 401)

            // All traffic to b, then a rollback to the 70/30 of the first revision; each move is a revision and audited.
            await #expect(throws: PlatformError.self, "weights must add up to 100") {
                _ = try await platform.deployments.setTraffic(["a": 60, "b": 60], deployment: "churn-api", context: owner)
            }
            _ = try await platform.deployments.setTraffic(["a": 0, "b": 100], reason: "try b", deployment: "churn-api", context: owner)
            try await Task.sleep(for: .seconds(1.1))
            for _ in 0..<10 {
                let response = try await browser.api("POST", "/v1/predict/churn-api", json: body, bearer: key)
                #expect(APIFixtures.json(response)["variant"] as? String == "b", "\(response.bodyText)")
            }
            let restored = try await platform.deployments.rollback("churn-api", reason: "b is worse", context: owner)
            #expect(Dictionary(uniqueKeysWithValues: restored.variants.map { ($0.name, $0.weight) }) == ["a": 70, "b": 30])
            let history = try await platform.deployments.history("churn-api", context: owner)
            #expect(history.map(\.reason) == ["created", "try b", "rollback to revision 1: b is worse"] && history.last?.weights == ["a": 70, "b": 30])
            let audited = try await cluster.server.environment.router.withTenantTransaction(owner.tenantID) { connection in
                try await connection.query("SELECT action FROM audit_events WHERE action LIKE 'deployment.%' ORDER BY sequence").map { try $0["action", as: String.self] }
            }
            #expect(audited == ["deployment.created", "deployment.traffic_changed", "deployment.rolled_back"], "\(audited)")

            _ = try await platform.deployments.stop("churn-api", jobs: jobs, context: owner)
            try await Task.sleep(for: .seconds(1.1))
            let stopped = try await browser.api("POST", "/v1/predict/churn-api", json: body, bearer: key)
            #expect(stopped.statusCode == 503, "\(stopped.bodyText)")
        }
    }

    @Test func killingAReplicasAgentMidTrafficLeavesThePredictionsToTheOtherReplica() async throws {
        try await AgentCluster.with { cluster in
            let first = try await cluster.agent(region: "me-central-1")
            let second = try await cluster.agent(region: "me-central-1")
            let (platform, owner, jobs) = (cluster.server.platform, cluster.owner, cluster.server.computeAgents.jobs)
            _ = try await Self.registeredChurnModels([.boostedTrees], cluster: cluster, agent: first)
            // 1.5 cores each on 2-core agents: one replica per agent.
            let form = DeploymentForm(name: "churn-ha", variants: [VariantForm(name: "main", model: "churn", version: 1, weight: 100, replicas: 2, cpuMillis: 1500)])
            _ = try await platform.deployments.create(form, project: "churn", jobs: jobs, quota: Self.quota, context: owner)
            let deadline = ContinuousClock.now + .seconds(60)
            var deployment = try await platform.deployments.get("churn-ha", context: owner)
            while deployment.variants[0].replicas.filter(\.isServing).count < 2 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
                deployment = try await platform.deployments.get("churn-ha", context: owner)
            }
            let replicas = deployment.variants[0].replicas
            #expect(replicas.filter(\.isServing).count == 2, "\(deployment) \(first.log) \(second.log)")
            var hosts: [UUID] = []
            for replica in replicas { hosts += try await jobs.detail(replica.jobID, context: owner).attempts.map(\.agentID) }
            #expect(Set(hosts) == [first.id, second.id], "the replicas run on both agents")
            try await Task.sleep(for: .seconds(1.1))

            let key = try await APIFixtures.key(cluster.server, owner, permissions: [.predict])
            let body = #"{"rows": [{"usage": 7.5, "plan": "pro", "tenure": 10, "spend": 40}]}"#
            let victim = hosts.first == first.id ? first : second
            var statuses: [Int] = []
            var labels: Set<String> = []
            let start = ContinuousClock.now
            var killed = false
            while ContinuousClock.now - start < .seconds(6) {
                if !killed && ContinuousClock.now - start > .seconds(1.5) {
                    victim.process.killHard()
                    killed = true
                }
                let response = try await cluster.server.browser().api("POST", "/v1/predict/churn-ha", json: body, bearer: key)
                statuses.append(response.statusCode)
                if response.statusCode == 200 {
                    labels.insert((APIFixtures.json(response)["predictions"] as? [[String: Any]])?.first?["label"] as? String ?? "?")
                }
            }
            let failed = statuses.filter { $0 != 200 }.count
            #expect(failed <= 1, "at most the request in flight at the kill fails: \(statuses.filter { $0 != 200 })")
            #expect(statuses.suffix(10).allSatisfy { $0 == 200 } && statuses.count > 20, "\(statuses.count) requests")
            #expect(labels == ["false"], "every answer is the model's (7.5 hours of use on pro does not churn): \(labels)")
        }
    }

    static let quota = JobQuota(maximumActiveJobs: 10, isGPUAllowed: false, maximumNodes: 1)

    /// Project `churn` with dataset `customers`, one built-in run per algorithm on the agent, each registered as the
    /// next version of model `churn`.
    static func registeredChurnModels(_ algorithms: [TrainingSpec.Algorithm], cluster: AgentCluster, agent: AgentCluster.Agent) async throws -> [ModelVersion] {
        let (platform, owner) = (cluster.server.platform, cluster.owner)
        _ = try await platform.projects.create(ProjectForm(name: "Churn", slug: "churn"), context: owner)
        _ = try await platform.datasets.create(DatasetForm(name: "customers"), project: "churn", context: owner)
        _ = try await platform.datasets.upload(
            TrainingEndToEndTests.body(Array(TrainingEndToEndTests.churnCSV().utf8)), to: "customers", project: "churn",
            settings: IngestionSettings(format: .csv), sourceName: "customers.csv", context: owner)
        var versions: [ModelVersion] = []
        for algorithm in algorithms {
            let run = try await platform.runs.startBuiltin(
                BuiltinRunForm(dataset: "customers", training: TrainingSpec(target: "churned", algorithm: algorithm)), project: "churn",
                jobs: cluster.server.computeAgents.jobs, quota: quota, context: owner)
            let trained = try await cluster.waitFor(run.jobID, timeout: .seconds(180)) { $0.summary.state.isFinal }
            #expect(trained.summary.state == .succeeded, "\(trained.summary.message) \(agent.log)")
            versions.append(try await platform.models.register(VersionRegistration(run: run.number), model: "churn", project: "churn", context: owner))
        }
        return versions
    }
}
