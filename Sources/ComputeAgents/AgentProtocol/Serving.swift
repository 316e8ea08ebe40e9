public import Foundation

/// The spec of a `serve.replica` job: which registered model version the agent serves. The agent fetches the file with
/// the job's token from `GET /agent/v1/jobs/:job/model`, checks its SHA-256, starts a prediction server on a free port
/// and reports `ready at http://<address>:<port>` as a status event (``ServeReplicaSpec/readyPrefix``); it serves until
/// the job is cancelled.
///
/// The replica's HTTP interface:
/// - `POST /v1/predict` with `{"rows": [{"<input>": value, …}, …]}` (at most ``maximumRows``) answers
///   `{"predictions": [{"label": …, "value": …, "probabilities": {"<class>": p, …}}], "model": "<name>", "version": n}`;
///   a row with a missing, extra or mistyped input is refused with 400 naming each field.
/// - `GET /healthz` answers `{"status": "ok", "model": …, "version": …}`.
public struct ServeReplicaSpec: Codable, Sendable, Equatable {
    /// The registered model version served.
    public struct ModelReference: Codable, Sendable, Equatable {
        /// The registered model's id and name.
        public var modelID: UUID, name: String
        /// The version number.
        public var version: Int
        /// SHA-256 (hex) of the version's file.
        public var sha256: String
        /// `falaj-model` (served by the agent itself) or `custom`.
        public var format: String

        /// Creates a reference.
        public init(modelID: UUID, name: String, version: Int, sha256: String, format: String) {
            self.modelID = modelID
            self.name = name
            self.version = version
            self.sha256 = sha256
            self.format = format
        }
    }

    /// The job kind.
    public static let kind = "serve.replica"
    /// The status line a ready replica reports, followed by its URL.
    public static let readyPrefix = "ready at "
    /// Rows one prediction request may carry.
    public static let maximumRows = 10_000

    /// What it serves.
    public var model: ModelReference
    /// The deployment and variant it belongs to, when a deployment started it.
    public var deployment: UUID?, variant: String?

    /// Creates a spec.
    public init(model: ModelReference, deployment: UUID? = nil, variant: String? = nil) {
        self.model = model
        self.deployment = deployment
        self.variant = variant
    }
}

extension AgentEndpoint {
    /// `GET` → the model file a `serve.replica` job serves (decrypted, streamed).
    public static func model(_ job: String) -> String { "/agent/v1/jobs/\(job)/model" }
}
