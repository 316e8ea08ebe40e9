public import Foundation
public import Tabular

/// The spec of a `train.builtin` job, as the control plane writes it and the agent's built-in executor reads it: the
/// run it belongs to, the dataset version to learn from (fetched with the job's token from
/// `GET /agent/v1/jobs/:job/input`) and the ``TrainingSpec``.
public struct BuiltinTrainingJob: Sendable, Equatable, Codable {
    /// The dataset version a built-in run learns from.
    public struct DatasetInput: Sendable, Equatable, Codable {
        /// The dataset's id.
        public var id: UUID
        /// Its name in the project.
        public var name: String
        /// The version number.
        public var version: Int
        /// SHA-256 (hex) of the version's stored CSV; the agent checks what it receives against it.
        public var sha256: String

        /// Creates a reference.
        public init(id: UUID, name: String, version: Int, sha256: String) {
            self.id = id
            self.name = name
            self.version = version
            self.sha256 = sha256
        }
    }

    /// The run the job trains for.
    public var runID: UUID
    /// What it learns from.
    public var dataset: DatasetInput
    /// The dataset version's columns (the CSV's header, with types).
    public var columns: [Column]
    /// What to train.
    public var training: TrainingSpec

    /// The job kind.
    public static let kind = "train.builtin"
    /// The model file's name among the run's artifacts.
    public static let modelFileName = "model.falaj"
    /// The report's name among the run's artifacts (a ``TrainingReport`` as JSON).
    public static let reportFileName = "report.json"

    /// Creates a spec.
    public init(runID: UUID, dataset: DatasetInput, columns: [Column], training: TrainingSpec) {
        self.runID = runID
        self.dataset = dataset
        self.columns = columns
        self.training = training
    }

    enum CodingKeys: String, CodingKey {
        case dataset, columns, training
        case runID = "run_id"
    }
}
