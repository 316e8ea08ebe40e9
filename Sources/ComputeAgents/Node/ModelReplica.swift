import AgentProtocol
import BlockingPool
import Foundation
import HTTPTypes
import Learning
import Logging
import Tabular
import WebServer

/// `serve.replica` for built-in models: fetches the version's file with the job's token, checks its SHA-256 and
/// format, and serves predictions over HTTP (see ``ServeReplicaSpec``) on a free port of the advertised address
/// (127.0.0.1 when none is configured) until the job is cancelled. Predictions run on the server's event-loop threads
/// (a 100-tree prediction takes microseconds, so they do not block anything for long).
enum ModelReplica {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func run(_ context: BuiltinJobContext) async throws {
        let spec: ServeReplicaSpec
        do {
            spec = try JSONDecoder().decode(ServeReplicaSpec.self, from: Data(context.job.specJSON.utf8))
        } catch {
            throw Failure(description: "the job's spec is not a serve.replica spec: \(error)")
        }
        guard spec.model.format == "falaj-model" else {
            throw Failure(description: "'\(spec.model.name)' v\(spec.model.version) is a custom model; the agent serves built-in (.falaj) models only")
        }
        let path = context.outputDirectory + "/../model.falaj"
        let (size, sha256) = try await context.downloadModel(to: path)
        guard sha256 == spec.model.sha256 else {
            throw Failure(description: "the model file arrived damaged: its SHA-256 is \(sha256), the version's is \(spec.model.sha256)")
        }
        let model = try await BlockingPool.shared.run { () throws -> ModelFile in
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            do {
                return try ModelFile.decode(bytes)
            } catch {
                throw Failure(description: "\(error)")
            }
        }
        context.log("loaded \(spec.model.name) v\(spec.model.version) (\(size) bytes, SHA-256 verified): \(model.task.rawValue) on \(model.preprocessor.inputs.count) inputs")

        var configuration = HTTPServerConfiguration()
        configuration.host = context.advertiseAddress ?? "127.0.0.1"
        configuration.port = 0
        configuration.eventLoopCount = 2
        configuration.shutdownGracePeriod = .seconds(5)
        var logger = Logger(label: "falaj.agent.replica")
        logger.logLevel = .warning
        let server = try HTTPServer(configuration: configuration, responder: router(model, spec: spec, logger: logger), logger: logger)
        let url = "http://\(configuration.host):\(server.port)"
        context.log("serving predictions at \(url)/v1/predict")
        await context.status(ServeReplicaSpec.readyPrefix + url)
        try await server.run()  // until the job's task is cancelled
        context.log("stopped serving")
    }

    /// `POST /v1/predict` and `GET /healthz` for `model`.
    static func router(_ model: ModelFile, spec: ServeReplicaSpec, logger: Logger) -> Router {
        var builder = RouterBuilder()
        let health = Array(#"{"status":"ok","model":\#(JSONText.quoted(spec.model.name)),"version":\#(spec.model.version)}"#.utf8)
        builder.get("/healthz") { _ in Response.json(health) }
        builder.post("/v1/predict", maxBodySize: 64 << 20) { request in
            let body = try await request.body.collect(upTo: 64 << 20)
            switch PredictionRequest.rows(body, inputs: model.preprocessor.inputs.map(\.column)) {
            case .failure(let problem):
                return Response.json(Array(problem.json.utf8), status: .badRequest)
            case .success(let rows):
                let predictions = rows.map(model.predict)
                // The first row's prediction in headers too, so the gateway logs it without parsing the body.
                var headers: HTTPFields = [.contentType: "application/json", HTTPField.Name("X-Falaj-Rows")!: String(predictions.count)]
                if let first = predictions.first {
                    headers[HTTPField.Name("X-Falaj-Label")!] = String(first.label.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }.map(Character.init).prefix(200))
                    headers[HTTPField.Name("X-Falaj-Value")!] = number(first.value)
                }
                return Response(headerFields: headers, body: .bytes(Array(answer(predictions, model: model, spec: spec).utf8)))
            }
        }
        return builder.build(logger: logger)
    }

    /// The answer's JSON: one prediction per row, with the model's name and version.
    static func answer(_ predictions: [ModelFile.Prediction], model: ModelFile, spec: ServeReplicaSpec) -> String {
        var text = #"{"predictions":["#
        for (index, prediction) in predictions.enumerated() {
            if index > 0 { text += "," }
            text += #"{"label":\#(JSONText.quoted(prediction.label)),"value":\#(number(prediction.value))"#
            if !prediction.probabilities.isEmpty {
                text += #","probabilities":{"#
                text += zip(model.classes, prediction.probabilities).map { "\(JSONText.quoted($0)):\(number($1))" }.joined(separator: ",")
                text += "}"
            }
            text += "}"
        }
        return text + #"],"model":\#(JSONText.quoted(spec.model.name)),"version":\#(spec.model.version)}"#
    }

    static func number(_ value: Double) -> String { value.isFinite ? "\(value)" : "null" }

}
