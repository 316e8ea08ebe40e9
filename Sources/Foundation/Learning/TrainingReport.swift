public import Tabular

/// What a built-in training produced besides the model: the choices made, the held-out metrics, the confusion matrix,
/// feature importances and loss curves. Written next to the model as `report.json`; the run and registry pages read it.
public struct TrainingReport: Sendable, Equatable, Codable {
    /// One input column's share of the model's reliance on its inputs.
    public struct Importance: Sendable, Equatable, Codable {
        /// The input column.
        public var name: String
        /// Share between 0 and 1; the shares sum to 1 when the model uses any input.
        public var importance: Double
    }

    /// A column left out of the features, and why.
    public struct Exclusion: Sendable, Equatable, Codable {
        /// The column.
        public var name: String
        /// Why ("excluded in the spec", "almost every value is different: an identifier?").
        public var reason: String
    }

    /// The spread of the main metric over the folds of the training rows.
    public struct CrossValidation: Sendable, Equatable, Codable {
        /// How many folds.
        public var folds: Int
        /// The metric (``TrainingReport/mainMetric``).
        public var metric: String
        /// Its mean over the folds.
        public var mean: Double
        /// Its standard deviation over the folds.
        public var standardDeviation: Double
    }

    /// Binary, multi-class or regression.
    public var task: ModelFile.Task
    /// The algorithm fitted.
    public var algorithm: TrainingSpec.Algorithm
    /// The target column.
    public var target: String
    /// The model's inputs (its signature), in the order a prediction takes them.
    public var features: [Column]
    /// Columns not used, with the reason.
    public var excluded: [Exclusion]
    /// The target's classes (classification).
    public var classes: [String]
    /// Rows fitted on.
    public var trainingRows: Int
    /// Rows held out and scored.
    public var validationRows: Int
    /// Rows left out because their target is missing.
    public var rowsWithoutTarget: Int
    /// Held-out metrics by name: accuracy, precision, recall, f1, roc_auc, log_loss; or rmse, mae, r2.
    public var metrics: [String: Double]
    /// `confusion[actual][predicted]` on the held-out rows (classification).
    public var confusion: [[Int]]?
    /// Input columns by importance, largest first.
    public var featureImportances: [Importance]
    /// The cross-validation, when asked for.
    public var crossValidation: CrossValidation?
    /// Boosting iterations kept (boosted trees).
    public var iterations: Int?
    /// Loss per iteration: `training_loss`, and `validation_loss` with early stopping (boosted trees).
    public var lossCurves: [String: [Double]]
    /// Seconds spent fitting (preprocessing included).
    public var fitSeconds: Double
    /// Sentences saying what was chosen and why, for the results page.
    public var notes: [String]

    /// The metric a model is judged by first: ROC AUC for binary, accuracy for multi-class, R² for regression.
    public var mainMetric: String {
        switch task {
        case .binary: "roc_auc"
        case .multiclass: "accuracy"
        case .regression: "r2"
        }
    }

    /// Whether a smaller value of `metric` is better (errors, losses, durations) rather than a larger one.
    public static func lowerIsBetter(_ metric: String) -> Bool {
        ["rmse", "mae", "mse", "log_loss", "loss"].contains(metric) || metric.hasSuffix("_loss") || metric.hasSuffix("_error") || metric.hasSuffix("_seconds")
    }

    enum CodingKeys: String, CodingKey {
        case task, algorithm, target, features, excluded, classes, metrics, confusion, iterations, notes
        case trainingRows = "training_rows", validationRows = "validation_rows", rowsWithoutTarget = "rows_without_target"
        case featureImportances = "feature_importances", crossValidation = "cross_validation", lossCurves = "loss_curves"
        case fitSeconds = "fit_seconds"
    }
}

/// Why a training could not start or finish.
public struct TrainingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field the problem is about (`target`, `algorithm`, `rows`, …).
    public var field: String
    /// What is wrong and what to do.
    public var message: String

    /// Creates an error.
    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    /// "`field`: message".
    public var description: String { "\(field): \(message)" }
}
