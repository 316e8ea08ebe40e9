import Foundation
import Learning

/// Predictions one after another on one keep-alive connection (after 200 untimed ones), each timed from just before
/// its request is written until its whole answer is read, on a thread of its own. Every answer must be 200 and carry
/// the model's own label and value for its random row.
struct SequentialPredictions {
    let model: ModelFile
    /// The API key (sent to the replica too, which ignores it).
    let key: String
    let count: Int

    struct Outcome: Sendable {
        /// Sorted, in milliseconds.
        var latencies: [Double]
        var reconnects: Int
    }

    /// The parts of an answer the check reads.
    struct Answer: Decodable {
        struct Prediction: Decodable {
            var label: String
            var value: Double
        }

        var predictions: [Prediction]
    }

    func run(port: Int, path: String) async throws -> Outcome {
        let (model, key, count) = (model, key, count)
        return try await BenchProcess.onOwnThread {
            let connection = try KeepAliveConnection(port: port)
            var random = SplitMix64(seed: 0x5E4E_0002)
            var latencies: [Double] = []
            latencies.reserveCapacity(count)
            for index in -200..<count {
                let row = ServingBenchmark.randomRow(&random)
                let request = KeepAliveConnection.post(path, port: port, bearer: key, body: Array(row.body.utf8))
                let start = ContinuousClock.now
                let (status, body) = try connection.exchange(request)
                let elapsed = (ContinuousClock.now - start).milliseconds
                let expected = model.predict(row.values)
                guard status == 200, let answer = try? BenchAPI.decode(Answer.self, from: body), answer.predictions.count == 1,
                    answer.predictions[0].label == expected.label, abs(answer.predictions[0].value - expected.value) < 1e-9
                else {
                    throw BootstrapError(
                        message: "\(path) answered \(status) for \(row.body): \(String(decoding: body.prefix(2_000), as: UTF8.self)); the model says \(expected)")
                }
                if index >= 0 { latencies.append(elapsed) }
            }
            return Outcome(latencies: latencies.sorted(), reconnects: connection.reconnects)
        }
    }
}

/// The concurrent predictions: wrk with `bench/serving-predict.lua`, one thread, N keep-alive connections, each
/// request one random row.
struct WrkServingRun {
    let wrk: String
    let script: String
    let seconds: Int
    let connections: Int

    struct Outcome: CustomStringConvertible {
        var responses: Int, errors: Int, wrong: Int, socketErrors: Int
        var p50Milliseconds: Double, p99Milliseconds: Double
        var seconds: Double
        /// CPU time the whole machine spent meanwhile (server, agent and replica, Postgres, wrk), in core-milliseconds.
        var busyMilliseconds: Double

        var rate: Double { Double(responses) / seconds }

        var description: String {
            "\(responses) responses, \(errors) not 200, \(wrong) without predictions, \(socketErrors) socket errors, p50 \(p50Milliseconds) ms, p99 \(p99Milliseconds) ms"
        }
    }

    /// Runs wrk against `url`; `key` (empty: none) goes to the script in a private file, never on the command line.
    func run(url: String, key: String, paceMilliseconds: Int) async throws -> Outcome {
        let busyBefore = MachineCPU.busyMilliseconds()
        let fields = try await BenchProcess.wrkTotals(wrk, key: key, prefix: "serving") { [script, seconds, connections] keyFile in
            ["-t", "1", "-c", String(connections), "-d", "\(seconds)s", "--timeout", "5s", "-s", script, url, "--", keyFile, String(paceMilliseconds)]
        }
        let busy = MachineCPU.busyMilliseconds() - busyBefore
        guard let responses = fields["responses"], let errors = fields["errors"], let wrong = fields["wrong"], let socket = fields["socket_errors"],
            let p50 = fields["p50_us"], let p99 = fields["p99_us"], let duration = fields["duration_us"]
        else { throw BootstrapError(message: "unexpected wrk totals: \(fields)") }
        return Outcome(
            responses: Int(responses), errors: Int(errors), wrong: Int(wrong), socketErrors: Int(socket), p50Milliseconds: p50 / 1000,
            p99Milliseconds: p99 / 1000, seconds: duration / 1e6, busyMilliseconds: busy)
    }
}
