import ComputeAgents
import Foundation
import Learning
import ServiceLifecycle
import Tabular
import Tenancy
import WebServer

/// The serving benchmark itself (see ``BenchServingCommand``), run as a service next to the server so it ends the group
/// when done. Prints one Markdown table (`| figure | value unit |`) and the checks made; throws when an answer is wrong.
struct ServingBenchmark: Service {
    let server: HTTPServer
    let tenancy: TenancyServices
    let agents: ComputeAgentsServices
    let options: Options

    struct Options: Sendable {
        var agentBinary: String
        /// wrk's path, or nil when it is missing (no concurrent figures).
        var wrk: String?
        var wrkScript: String
        var wrkSeconds: Int
        var connections: Int
        var pacedRate: Int
        var sequential: Int
        var agentDirectory: String
    }

    /// The bench model's inputs (`bench/serving-predict.lua` sends the same).
    static let columns = [
        Column(name: "usage", type: .float), Column(name: "spend", type: .float), Column(name: "tenure", type: .int), Column(name: "tickets", type: .int),
        Column(name: "plan", type: .category),
    ]
    static let plans = ["free", "pro", "team", "enterprise"]

    func run() async throws {
        let setup = try await ServingSetup.prepare(server: server, tenancy: tenancy, agents: agents, options: options)
        do {
            try await measure(setup)
        } catch {
            await setup.agent.stopOffPool()
            throw error
        }
        await setup.agent.stopOffPool()
    }

    private func measure(_ setup: ServingSetup) async throws {
        var table: [(String, String)] = [
            ("model", "100 trees, \(setup.model.preprocessor.inputs.count) inputs, binary, \(setup.modelBytes) bytes"),
            ("replica ready after deploy (agent leases the job, fetches and checks the model, starts serving)", String(format: "%.2f s", setup.readySeconds)),
        ]
        var checks: [String] = []
        let loadBefore = FeatureBenchmark.loadAverage()

        let sequential = SequentialPredictions(model: setup.model, key: setup.key, count: options.sequential)
        let direct = try await sequential.run(port: setup.replicaPort, path: "/v1/predict")
        let gateway = try await sequential.run(port: server.port, path: "/v1/predict/\(ServingSetup.deployment)")
        for (name, run) in [("straight to the replica", direct), ("through the gateway", gateway)] {
            table += [
                ("prediction p50, 1 connection, \(name) (\(run.latencies.count) one at a time)", String(format: "%.3f ms", percentile(run.latencies, 0.5))),
                ("prediction p99, 1 connection, \(name)", String(format: "%.3f ms", percentile(run.latencies, 0.99))),
            ]
            checks.append("1 connection, \(name): \(run.latencies.count + 200) answers, each 200 with the model's own label and value for its row; \(run.reconnects) reconnections.")
        }
        table.append((
            "gateway overhead at p99, 1 connection (through minus straight)",
            String(format: "%.3f ms", percentile(gateway.latencies, 0.99) - percentile(direct.latencies, 0.99))
        ))

        guard let wrk = options.wrk else {
            checks.append("wrk not found: no concurrent figures.")
            return print(table: table, checks: checks, loadBefore: loadBefore)
        }
        let wrkRun = WrkServingRun(wrk: wrk, script: options.wrkScript, seconds: options.wrkSeconds, connections: options.connections)
        let pace = options.connections * 1000 / options.pacedRate
        let c = options.connections
        for (label, pace) in [("paced to \(options.pacedRate)/s", pace), ("as fast as answers come", 0)] {
            let straight = try await wrkRun.run(url: "http://127.0.0.1:\(setup.replicaPort)/v1/predict", key: "", paceMilliseconds: pace)
            let through = try await wrkRun.run(url: "http://127.0.0.1:\(server.port)/v1/predict/\(ServingSetup.deployment)", key: setup.key, paceMilliseconds: pace)
            for (name, outcome) in [("straight to the replica", straight), ("through the gateway", through)] {
                guard outcome.errors == 0, outcome.wrong == 0, outcome.socketErrors == 0, outcome.responses > 0 else {
                    throw BootstrapError(message: "wrk \(name), \(label): \(outcome)")
                }
                table += [
                    ("predictions/s, \(c) connections \(label), \(name) (wrk, \(options.wrkSeconds) s)", String(format: "%.0f predictions/s", outcome.rate)),
                    ("prediction p50, \(c) connections \(label), \(name)", String(format: "%.3f ms", outcome.p50Milliseconds)),
                    ("prediction p99, \(c) connections \(label), \(name)", String(format: "%.3f ms", outcome.p99Milliseconds)),
                    ("machine CPU per prediction, \(c) connections \(label), \(name)", String(format: "%.3f ms", outcome.busyMilliseconds / Double(outcome.responses))),
                ]
                checks.append("wrk, \(c) connections \(label), \(name): \(outcome.responses) answers, every one 200 with predictions, no socket errors.")
            }
            table.append((
                "gateway overhead at p99, \(c) connections \(label) (through minus straight)",
                String(format: "%.3f ms", through.p99Milliseconds - straight.p99Milliseconds)
            ))
        }
        print(table: table, checks: checks, loadBefore: loadBefore)
    }

    private func print(table: [(String, String)], checks: [String], loadBefore: String) {
        Swift.print("| figure | value |")
        Swift.print("|---|---|")
        for (figure, value) in table { Swift.print("| \(figure) | \(value) |") }
        Swift.print("")
        for check in checks { Swift.print("Checked: " + check) }
        Swift.print("Load average (1 min) at the start and the end: \(loadBefore), \(FeatureBenchmark.loadAverage()) (the bench's own work counts in it).")
    }

    /// One random row of the bench model's inputs, as typed values and as the JSON body of a prediction request.
    static func randomRow(_ random: inout SplitMix64) -> (values: [TabularValue], body: String) {
        let usage = Double(random.below(20_000)) / 1000
        let spend = Double(random.below(50_000)) / 100
        let tenure = random.below(121)
        let tickets = random.below(10)
        let plan = plans[random.below(plans.count)]
        return (
            [.float(usage), .float(spend), .int(Int64(tenure)), .int(Int64(tickets)), .string(plan)],
            #"{"rows":[{"usage":\#(usage),"spend":\#(spend),"tenure":\#(tenure),"tickets":\#(tickets),"plan":"\#(plan)"}]}"#
        )
    }

    /// Trains the bench model: 100 boosted trees of up to 31 leaves on 20,000 generated rows whose churn depends on
    /// every input (with noise), so the trees are full-sized.
    static func trainModel() throws -> ModelFile {
        var random = SplitMix64(seed: 0x5E4E_0001)
        var rows: [[TabularValue]] = []
        for _ in 0..<20_000 {
            var row = randomRow(&random).values
            guard case .float(let usage) = row[0], case .float(let spend) = row[1], case .int(let tenure) = row[2], case .int(let tickets) = row[3],
                case .string(let plan) = row[4]
            else { continue }
            let score = -usage / 5 + spend / 200 - Double(tenure) / 60 + Double(tickets) / 3 + (plan == "free" ? 1 : 0) + Double(random.below(1000)) / 400 - 1.5
            row.append(.bool(score > 0))
            rows.append(row)
        }
        var boosting = BoostingParameters()
        boosting.maximumIterations = 100
        boosting.earlyStopping = false
        return try TrainingPipeline.train(
            columns: columns + [Column(name: "churned", type: .bool)], rows: rows,
            spec: TrainingSpec(target: "churned", algorithm: .boostedTrees, boosting: boosting)
        ).model
    }
}
