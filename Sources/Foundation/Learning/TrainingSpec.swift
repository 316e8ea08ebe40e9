/// What to train: the target, the task and algorithm (or the defaults chosen from the data), the split and the
/// algorithm's parameters. Decoded from a `train.builtin` job's spec, so every field but `target` may be left out.
public struct TrainingSpec: Sendable, Equatable, Codable {
    /// The built-in algorithms.
    public enum Algorithm: String, Sendable, Codable, CaseIterable {
        /// Histogram gradient-boosted trees (any task), the default.
        case boostedTrees = "boosted_trees"
        /// L2 logistic regression (classification).
        case logistic
        /// Ridge regression (regression).
        case ridge
    }

    /// The column to predict.
    public var target: String
    /// Binary, multi-class or regression; nil chooses from the target column (see ``TrainingPipeline``).
    public var task: ModelFile.Task?
    /// Nil chooses boosted trees.
    public var algorithm: Algorithm?
    /// Columns never used as features (besides the target).
    public var excludedColumns: [String]
    /// The share of rows held out for the reported metrics (0.05…0.5).
    public var validationFraction: Double
    /// With 2…10, also the mean and spread of the main metric over that many folds of the training rows.
    public var crossValidationFolds: Int?
    /// Seeds the split (and the trees' own early-stopping split).
    public var seed: UInt64
    /// Boosted trees' parameters (scikit-learn's defaults when left out; early stopping on from 10,000 rows).
    public var boosting: BoostingParameters?
    /// Logistic regression's inverse penalty `C` (default 1) or ridge's `alpha` (default 1).
    public var regularization: Double?

    /// A spec with the defaults: boosted trees, task from the target, 20% held out, seed 42.
    public init(
        target: String, task: ModelFile.Task? = nil, algorithm: Algorithm? = nil, excludedColumns: [String] = [], validationFraction: Double = 0.2,
        crossValidationFolds: Int? = nil, seed: UInt64 = 42, boosting: BoostingParameters? = nil, regularization: Double? = nil
    ) {
        self.target = target
        self.task = task
        self.algorithm = algorithm
        self.excludedColumns = excludedColumns
        self.validationFraction = validationFraction
        self.crossValidationFolds = crossValidationFolds
        self.seed = seed
        self.boosting = boosting
        self.regularization = regularization
    }

    enum CodingKeys: String, CodingKey {
        case target, task, algorithm, seed, boosting, regularization
        case excludedColumns = "excluded_columns", validationFraction = "validation_fraction", crossValidationFolds = "cross_validation_folds"
    }

    /// Decodes a spec; everything but `target` is optional.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(target: try container.decode(String.self, forKey: .target))
        task = try container.decodeIfPresent(ModelFile.Task.self, forKey: .task)
        algorithm = try container.decodeIfPresent(Algorithm.self, forKey: .algorithm)
        excludedColumns = try container.decodeIfPresent([String].self, forKey: .excludedColumns) ?? []
        validationFraction = try container.decodeIfPresent(Double.self, forKey: .validationFraction) ?? 0.2
        crossValidationFolds = try container.decodeIfPresent(Int.self, forKey: .crossValidationFolds)
        seed = try container.decodeIfPresent(UInt64.self, forKey: .seed) ?? 42
        boosting = try container.decodeIfPresent(BoostingParameters.self, forKey: .boosting)
        regularization = try container.decodeIfPresent(Double.self, forKey: .regularization)
    }

    /// Problems with the spec that do not need the data, by field; empty when it is usable.
    public var problems: [String: String] {
        var problems: [String: String] = [:]
        if target.isEmpty { problems["target"] = "Choose the column to predict" }
        if !(0.05...0.5).contains(validationFraction) { problems["validation_fraction"] = "Hold out between 0.05 and 0.5 of the rows" }
        if let folds = crossValidationFolds, !(2...10).contains(folds) { problems["cross_validation_folds"] = "Use between 2 and 10 folds" }
        if let regularization, !(regularization > 0 && regularization.isFinite) {
            problems["regularization"] = "The regularization must be a positive number"
        }
        if let boosting {
            if !(boosting.learningRate > 0 && boosting.learningRate <= 1) { problems["boosting.learning_rate"] = "Use a learning rate in (0, 1]" }
            if !(1...10_000).contains(boosting.maximumIterations) { problems["boosting.max_iter"] = "Use 1 to 10,000 iterations" }
            if !(2...4_096).contains(boosting.maximumLeaves) { problems["boosting.max_leaf_nodes"] = "Use 2 to 4,096 leaves" }
            if let depth = boosting.maximumDepth, !(1...64).contains(depth) { problems["boosting.max_depth"] = "Use a depth of 1 to 64" }
            if boosting.minimumSamplesPerLeaf < 1 { problems["boosting.min_samples_leaf"] = "Use at least 1 row per leaf" }
            if boosting.l2Regularization < 0 { problems["boosting.l2_regularization"] = "The leaf penalty must not be negative" }
        }
        switch (task, algorithm) {
        case (.regression?, .logistic?): problems["algorithm"] = "Logistic regression classifies; use ridge or boosted trees for regression"
        case (.binary?, .ridge?), (.multiclass?, .ridge?): problems["algorithm"] = "Ridge regression predicts numbers; use logistic or boosted trees to classify"
        default: break
        }
        return problems
    }
}
