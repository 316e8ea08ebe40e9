import AgentProtocol
import ComputeAgents
import FalajCrypto
import Foundation
import Learning
import Platform
import PostgresClient
import Residency
import Tabular
import Tenancy
import TestSupport
import Testing

/// The training issue's end-to-end scenarios on a real portal and a real `falaj-agent`: built-in runs with every
/// algorithm, registration, gated promotion with approval and its audit; a custom command logging through
/// `clients/python/falaj_client.py` and registering its own model file.
@Suite(.serialized) struct TrainingEndToEndTests {
    /// 600 customers: `churned` follows usage and plan, `spend` is linear in usage and tenure.
    static func churnCSV() -> String {
        var generator = SystemRandomNumberGenerator()
        var lines = ["customer,usage,plan,tenure,spend,churned"]
        for index in 0..<600 {
            let usage = Double.random(in: 0..<10, using: &generator)
            let plan = ["free", "pro", "team"][index % 3]
            let tenure = Int.random(in: 1..<60, using: &generator)
            let churned = usage + (plan == "free" ? -1.5 : 0) + Double.random(in: -1..<1, using: &generator) < 4
            let spend = 12 * usage + 0.5 * Double(tenure) + Double.random(in: -1..<1, using: &generator)
            lines.append("c-\(index),\(String(format: "%.3f", usage)),\(plan),\(tenure),\(String(format: "%.2f", spend)),\(churned)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func builtInRunsRegisterAndAGatedPromotionIsBlockedThenApprovedWithItsAudit() async throws {
        try await AgentCluster.with { cluster in
            let agent = try await cluster.agent(region: "me-central-1")
            let platform = cluster.server.platform
            let owner = cluster.owner
            _ = try await platform.projects.create(ProjectForm(name: "Churn", slug: "churn"), context: owner)
            _ = try await platform.datasets.create(DatasetForm(name: "customers"), project: "churn", context: owner)
            let bytes = Array(Self.churnCSV().utf8)
            let body = AsyncThrowingStream<[UInt8], any Error> { $0.yield(bytes); $0.finish() }
            _ = try await platform.datasets.upload(
                body, to: "customers", project: "churn", settings: IngestionSettings(format: .csv), sourceName: "customers.csv", context: owner)

            let jobs = cluster.server.computeAgents.jobs
            let quota = JobQuota(maximumActiveJobs: 10, isGPUAllowed: false, maximumNodes: 1)
            var runs: [RunSummary] = []
            for (target, algorithm) in [("churned", TrainingSpec.Algorithm.boostedTrees), ("churned", .logistic), ("spend", .ridge)] {
                let form = BuiltinRunForm(experiment: "baseline", dataset: "customers", training: TrainingSpec(target: target, algorithm: algorithm))
                runs.append(try await platform.runs.startBuiltin(form, project: "churn", jobs: jobs, quota: quota, context: owner))
            }
            for run in runs {
                let job = try await cluster.waitFor(run.jobID, timeout: .seconds(180)) { $0.summary.state.isFinal }
                let log = try await cluster.log(run.jobID)
                #expect(job.summary.state == .succeeded, "\(job.summary.message) \(log) \(agent.log)")
            }
            let trees = try await platform.runs.get(runs[0].number, project: "churn", context: owner)
            let report = try #require(trees.report, "report.json was stored and read back")
            #expect(report.task == .binary && report.excluded.map(\.name) == ["customer"])
            #expect(try #require(trees.summary.finalMetrics["roc_auc"]) > 0.8, "\(trees.summary.finalMetrics)")
            #expect((trees.metrics["training_loss"]?.count ?? 0) == report.iterations, "one loss point per iteration")
            #expect(trees.summary.params["algorithm"] == "boosted_trees" && trees.summary.inputs.dataset?.version == 1)
            #expect(trees.usage.wallSeconds > 0)
            let ridge = try await platform.runs.get(runs[2].number, project: "churn", context: owner)
            #expect(ridge.report?.task == .regression && (ridge.summary.finalMetrics["r2"] ?? 0) > 0.95, "\(ridge.summary.finalMetrics)")
            let listed = try await platform.runs.list(project: "churn", experiment: "baseline", context: owner)
            #expect(listed.map(\.number) == [3, 2, 1] && listed.allSatisfy { $0.state == .succeeded })

            // Register both classifiers; the gates ask for AUC ≥ 0.8, no more than 0.01 worse than the champion, and a reviewer.
            let gates = PromotionGates(
                metrics: [.init(metric: "roc_auc", min: 0.8), .init(metric: "roc_auc", maxRegression: 0.01)], requireApproval: true)
            _ = try await platform.models.create(name: "churn", gates: gates, project: "churn", context: owner)
            let first = try await platform.models.register(VersionRegistration(run: runs[0].number), model: "churn", project: "churn", context: owner)
            let second = try await platform.models.register(VersionRegistration(run: runs[1].number), model: "churn", project: "churn", context: owner)
            #expect(first.version == 1 && second.version == 2 && first.format == "falaj-model")
            #expect(first.signature?.inputs.map(\.name) == ["usage", "plan", "tenure", "spend"] && first.signature?.output.classes == ["false", "true"])
            #expect(first.lineage.run?.number == runs[0].number && first.lineage.datasets.first?.name == "customers")

            let pending = try await platform.models.promote(version: 1, to: "champion", reason: "first model", model: "churn", project: "churn", context: owner)
            #expect(pending.state == .pending, "\(pending.gateResults)")
            #expect(pending.gateResults.contains { $0.gate == "compliance:training_residency" && $0.passed && $0.detail.contains("me-central-1") })
            await #expect(throws: PlatformError.self) {
                _ = try await platform.models.approve(pending.id, model: "churn", project: "churn", context: owner)
            }
            let reviewer = try await APIFixtures.member(cluster.server, owner, email: "reviewer@gulf.example", role: "ml_engineer")
            let applied = try await platform.models.approve(pending.id, reason: "looks good", model: "churn", project: "churn", context: reviewer)
            #expect(applied.state == .applied && applied.decidedBy?.hasPrefix("user:") == true)

            // A stricter floor blocks version 2 and says which gate failed; nothing moves.
            let strict = PromotionGates(metrics: [.init(metric: "roc_auc", min: 0.9999)], requireApproval: false)
            _ = try await platform.models.setGates(strict, model: "churn", project: "churn", context: owner)
            let blocked = try await platform.models.promote(version: 2, to: "champion", model: "churn", project: "churn", context: owner)
            #expect(blocked.state == .blocked && blocked.failures.contains("metric:roc_auc"), "\(blocked.gateResults)")
            let (model, _, history) = try await platform.models.get("churn", project: "churn", context: owner)
            #expect(model.aliases == ["champion": 1] && history.map(\.state) == [.blocked, .applied])

            // The version downloads as the model file the run wrote, and it predicts.
            let collected = DigestBox()
            let bytesBox = ByteBox()
            let (version, stream) = try await platform.models.download(1, of: "churn", project: "churn", context: owner)
            try await stream { chunk in collected.update(chunk); bytesBox.append(chunk) }
            #expect(Hex.encode(collected.finish()) == version.sha256)
            let file = try ModelFile.decode(bytesBox.bytes)
            #expect(["false", "true"].contains(file.predict([.float(9.5), .string("pro"), .int(12), .float(120)]).label))

            let actions = try await cluster.server.environment.router.withTenantTransaction(owner.tenantID) { connection in
                try await connection.query("SELECT action FROM audit_events WHERE action LIKE 'model.%' OR action = 'run.started' ORDER BY sequence")
                    .map { try $0["action", as: String.self] }
            }
            for action in ["run.started", "model.created", "model.version_registered", "model.promotion_requested", "model.promotion_approved",
                           "model.alias_moved", "model.gates_changed", "model.downloaded"] {
                #expect(actions.contains(action), "audit has \(action): \(actions)")
            }
            #expect(actions.filter { $0 == "model.promotion_requested" }.count == 2, "the blocked request is audited too")
        }
    }

    @Test func aLongBuiltInRunReportsProgressAndStopsWhenCancelled() async throws {
        try await AgentCluster.with { cluster in
            let agent = try await cluster.agent(region: "me-central-1")
            let platform = cluster.server.platform
            let owner = cluster.owner
            _ = try await platform.projects.create(ProjectForm(name: "Long", slug: "long"), context: owner)
            _ = try await platform.datasets.create(DatasetForm(name: "rows"), project: "long", context: owner)
            var csv = "a,b,c,y\n"
            for index in 0..<20_000 { csv += "\(index % 97),\(index % 13).5,\(index % 7),\(index % 3 == 0)\n" }
            _ = try await platform.datasets.upload(
                Self.body(Array(csv.utf8)), to: "rows", project: "long", settings: IngestionSettings(format: .csv), sourceName: "rows.csv", context: owner)
            var boosting = BoostingParameters()
            boosting.maximumIterations = 10_000
            boosting.earlyStopping = false
            boosting.learningRate = 0.001
            let run = try await platform.runs.startBuiltin(
                BuiltinRunForm(dataset: "rows", training: TrainingSpec(target: "y", boosting: boosting)), project: "long",
                jobs: cluster.server.computeAgents.jobs, quota: JobQuota(maximumActiveJobs: 10, isGPUAllowed: false, maximumNodes: 1), context: owner)
            // Progress beyond the 20% of "rows read" means the boosting loop itself reported.
            let training = try await cluster.waitFor(run.jobID, timeout: .seconds(120)) { detail in
                detail.events.contains { $0.report.kind == .progress && ($0.report.value ?? 0) > 0.2 } || detail.summary.state.isFinal
            }
            #expect(training.summary.state == .running, "\(training.summary.message) \(agent.log)")
            _ = try await cluster.server.computeAgents.jobs.cancel(run.jobID, context: owner)
            let ended = try await cluster.waitFor(run.jobID, timeout: .seconds(60)) { $0.summary.state.isFinal }
            #expect(ended.summary.state == .cancelled, "\(ended.summary.message)")
            let detail = try await platform.runs.get(run.number, project: "long", context: owner)
            #expect(detail.report == nil && !detail.job.artifacts.contains { $0.path == BuiltinTrainingJob.modelFileName }, "a stopped fit stores no model")
            // The fit itself stopped: the agent no longer burns its cores (a running fit uses both, ~6 s of CPU in 3 s).
            let pid = agent.process.process.processIdentifier
            try await Task.sleep(for: .seconds(1))
            let before = try Self.cpuSeconds(of: pid)
            try await Task.sleep(for: .seconds(3))
            let used = try Self.cpuSeconds(of: pid) - before
            #expect(used < 1.0, "the agent used \(used) s of CPU in 3 s after the cancel")
        }
    }

    /// User plus system CPU seconds of a process, from /proc/<pid>/stat.
    static func cpuSeconds(of pid: Int32) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
        return (Double(fields[11])! + Double(fields[12])!) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    @Test func aCustomCommandLogsThroughThePythonClientAndRegistersItsModel() async throws {
        try await AgentCluster.with { cluster in
            let agent = try await cluster.agent(region: "me-central-1")
            let platform = cluster.server.platform
            _ = try await platform.projects.create(ProjectForm(name: "Vision", slug: "vision"), context: cluster.owner)
            // The working files: the script and the client helper, packed as a gzipped tar archive.
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("falaj-code-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let script = """
                import os
                from falaj_client import Run, FalajError
                run = Run()
                run.log_params({"lr": 0.01, "epochs": 3})
                run.set_tags({"framework": "none"})
                for epoch in range(3):
                    run.log_metrics({"loss": 1.0 / (epoch + 1), "accuracy": 0.5 + 0.1 * epoch}, step=epoch)
                with open(os.path.join(run.output_dir, "model.bin"), "wb") as f:
                    f.write(b"weights" * 1000)
                open("notes.txt", "w").write("trained")
                print("receipt", run.log_artifact("notes.txt", "extra/notes.txt"))
                try:
                    run.log_metric("x" * 201, 1.0)
                except FalajError as error:
                    print("refused", error.status, error.message)
                try:
                    run.log_metric("bad", float("nan"))
                except ValueError as error:
                    print("not sent:", error)
                try:
                    Run(run_id="00000000-0000-4000-8000-000000000000").log_params({"x": 1})
                except FalajError as error:
                    print("foreign run", error.status)
                try:
                    run._send("GET", "/agent/v1/jobs/" + run.job_id + "/input", None, {})
                except FalajError as error:
                    print("no input", error.status)
                try:
                    run._send("GET", "/agent/v1/jobs/" + run.job_id + "/model", None, {})
                except FalajError as error:
                    print("no model", error.status)
                """
            try script.write(to: folder.appendingPathComponent("train_script.py"), atomically: true, encoding: .utf8)
            try FileManager.default.copyItem(
                at: FalajProcess.packageRoot.appendingPathComponent("clients/python/falaj_client.py"), to: folder.appendingPathComponent("falaj_client.py"))
            let tar = Process()
            tar.executableURL = URL(fileURLWithPath: "/bin/tar")
            tar.arguments = ["-czf", folder.appendingPathComponent("code.tar.gz").path, "-C", folder.path, "train_script.py", "falaj_client.py"]
            try tar.run()
            tar.waitUntilExit()
            let archive = Array(try Data(contentsOf: folder.appendingPathComponent("code.tar.gz")))
            await #expect(throws: PlatformError.self, "a file that is not gzip is refused") {
                _ = try await platform.runs.uploadCode(Self.body(Array("print(1)".utf8)), fileName: "x.py", project: "vision", context: cluster.owner)
            }
            let bundle = try await platform.runs.uploadCode(Self.body(archive), fileName: "code.tar.gz", project: "vision", context: cluster.owner)
            #expect(bundle.sizeBytes == Int64(archive.count))
            let form = CommandRunForm(experiment: "custom", command: ["/usr/bin/python3", "train_script.py"], code: bundle.id, params: ["script": "bundled"])
            let run = try await platform.runs.startCommand(
                form, project: "vision", jobs: cluster.server.computeAgents.jobs, quota: JobQuota(maximumActiveJobs: 10, isGPUAllowed: false, maximumNodes: 1),
                context: cluster.owner)
            let job = try await cluster.waitFor(run.jobID, timeout: .seconds(120)) { $0.summary.state.isFinal }
            let log = try await cluster.log(run.jobID)
            #expect(job.summary.state == .succeeded, "\(job.summary.message) \(log) \(agent.log)")
            #expect(log.contains("refused 422") && log.contains("at most 200 characters"), "a bad metric is refused with the reason: \(log)")
            #expect(log.contains("not sent: metric 'bad' is nan"), "\(log)")
            #expect(log.contains("foreign run 404") && log.contains("no input 404") && log.contains("no model 404"), "the token reaches only its own run and inputs: \(log)")
            let detail = try await platform.runs.get(run.number, project: "vision", context: cluster.owner)
            #expect(log.contains("unpacked \(archive.count) bytes of working files"), "\(log)")
            #expect(detail.summary.params == ["script": "bundled", "lr": "0.01", "epochs": "3"] && detail.summary.tags == ["framework": "none"])
            #expect(detail.metrics["loss"]?.map(\.step) == [0, 1, 2] && detail.summary.finalMetrics["accuracy"].map { abs($0 - 0.7) < 1e-9 } == true)
            #expect(Set(detail.job.artifacts.map(\.path)) == ["model.bin", "extra/notes.txt"])

            let signature = ModelSignature(inputs: [Column(name: "pixels", type: .string)], output: .init(type: "tensor"))
            let version = try await platform.models.register(
                VersionRegistration(run: run.number, artifact: "model.bin", signature: signature), model: "digits", project: "vision", context: cluster.owner)
            #expect(version.format == "custom" && version.sizeBytes == 7000 && version.metrics["loss"] == 1.0 / 3)
            #expect(version.lineage.code?.command?.first == "/usr/bin/python3" && version.lineage.params["lr"] == "0.01")
            await #expect(throws: PlatformError.self) {
                _ = try await platform.models.register(VersionRegistration(run: run.number, artifact: "missing.bin"), model: "digits", project: "vision", context: cluster.owner)
            }
        }
    }
}

extension TrainingEndToEndTests {
    /// A one-chunk request body.
    static func body(_ bytes: [UInt8]) -> AsyncThrowingStream<[UInt8], any Error> {
        AsyncThrowingStream { $0.yield(bytes); $0.finish() }
    }
}

/// Bytes gathered from a sink.
final class ByteBox: @unchecked Sendable {
    // @unchecked Sendable: the sink is called sequentially by one reader.
    private(set) var bytes: [UInt8] = []
    func append(_ chunk: [UInt8]) { bytes += chunk }
}
