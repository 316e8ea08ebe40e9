import Foundation
public import Tabular

/// A whole built-in training: from typed rows and a ``TrainingSpec`` to a ``ModelFile`` and its ``TrainingReport``.
///
/// Choices when the spec leaves them open:
/// - Task: a `float` target is regression; an `int` target with at most 20 distinct values is classification, else
///   regression; `bool`, `category` and `string` targets are classification (at most 100 classes). Two classes make a
///   binary task.
/// - Algorithm: boosted trees (early stopping on their own split from 10,000 rows).
/// - Features: every other column except those excluded in the spec and `string` columns whose values are almost all
///   different (identifiers, free text), which the report names.
///
/// Rows without a target are left out. The held-out rows (``TrainingSpec/validationFraction``, at random with the
/// spec's seed) never reach the preprocessor or the fit. Blocks its thread and uses every core: call it from a
/// dedicated thread, never from Swift's cooperative pool.
public enum TrainingPipeline {
    /// Rows a training needs at least.
    public static let minimumRows = 10
    /// Classes a classification target may have at most.
    public static let maximumClasses = 100

    /// Trains and evaluates.
    /// - Parameter monitor: follows the boosting iterations; stopping it ends the training with field `cancelled`.
    /// - Throws: ``TrainingError`` naming the field at fault: an unusable spec, an unknown target, a target with one
    ///   class or the wrong type for the task, too few rows, no feature columns; `cancelled` when stopped.
    public static func train(
        columns: [Column], rows: [[TabularValue]], spec: TrainingSpec, monitor: TrainingMonitor? = nil
    ) throws(TrainingError) -> (model: ModelFile, report: TrainingReport) {
        if let (field, message) = spec.problems.sorted(by: { $0.key < $1.key }).first { throw TrainingError(field: field, message) }
        guard let targetIndex = columns.firstIndex(where: { $0.name == spec.target }) else {
            throw TrainingError(field: "target", "There is no column '\(spec.target)'; the columns are \(columns.map(\.name).joined(separator: ", "))")
        }
        let targetColumn = columns[targetIndex]
        let labelled = rows.filter { !$0[targetIndex].isNull }
        guard labelled.count >= minimumRows else {
            throw TrainingError(field: "rows", "Training needs at least \(minimumRows) rows with a value in '\(spec.target)'; there are \(labelled.count)")
        }
        var notes: [String] = []
        let target = try TargetEncoding.choose(targetColumn, values: labelled.map { $0[targetIndex] }, task: spec.task, notes: &notes)
        let algorithm = spec.algorithm ?? .boostedTrees
        if spec.algorithm == nil { notes.append("Gradient-boosted trees, the default: they need no scaling and handle missing values.") }
        switch (target.task, algorithm) {
        case (.regression, .logistic): throw TrainingError(field: "algorithm", "Logistic regression classifies; '\(spec.target)' is a number to predict")
        case (.binary, .ridge), (.multiclass, .ridge): throw TrainingError(field: "algorithm", "Ridge regression predicts numbers; '\(spec.target)' has classes")
        default: break
        }

        let (featureIndices, excluded) = chooseFeatures(columns, rows: labelled, targetIndex: targetIndex, spec: spec)
        guard !featureIndices.isEmpty else { throw TrainingError(field: "excluded_columns", "No column is left to learn from") }
        let featureColumns = featureIndices.map { columns[$0] }
        let featureRows = labelled.map { row in featureIndices.map { row[$0] } }
        let targets = labelled.map { target.encode($0[targetIndex]) }

        var order = Array(0..<labelled.count)
        var generator = SeededGenerator(seed: spec.seed)
        order.shuffle(using: &generator)
        let validationCount = min(labelled.count - 2, max(1, Int((Double(labelled.count) * spec.validationFraction).rounded())))
        let validation = Array(order.prefix(validationCount)).sorted()
        let training = Array(order.dropFirst(validationCount)).sorted()

        let start = ContinuousClock.now
        let fitted = fit(
            algorithm, target: target, columns: featureColumns, rows: training.map { featureRows[$0] }, targets: training.map { targets[$0] }, spec: spec,
            monitor: monitor)
        if monitor?.isStopped == true { throw TrainingError(field: "cancelled", "The training was stopped") }
        let elapsed = (ContinuousClock.now - start).components
        let model = ModelFile(task: target.task, target: spec.target, classes: target.classes, preprocessor: fitted.preprocessor, algorithm: fitted.algorithm)
        let (metrics, confusion) = evaluate(model, rows: validation.map { featureRows[$0] }, targets: validation.map { targets[$0] })

        var report = TrainingReport(
            task: target.task, algorithm: algorithm, target: spec.target, features: featureColumns, excluded: excluded, classes: target.classes,
            trainingRows: training.count, validationRows: validation.count, rowsWithoutTarget: rows.count - labelled.count, metrics: metrics,
            confusion: confusion, featureImportances: importances(of: model), crossValidation: nil, iterations: fitted.iterations,
            lossCurves: fitted.lossCurves, fitSeconds: Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18, notes: notes
        )
        if let folds = spec.crossValidationFolds {
            report.crossValidation = crossValidate(
                folds: folds, metric: report.mainMetric, algorithm: algorithm, target: target, columns: featureColumns,
                rows: training.map { featureRows[$0] }, targets: training.map { targets[$0] }, spec: spec, monitor: monitor)
            if monitor?.isStopped == true { throw TrainingError(field: "cancelled", "The training was stopped") }
        }
        return (model, report)
    }

    /// The columns to learn from (indices) and those left out with the reason.
    static func chooseFeatures(
        _ columns: [Column], rows: [[TabularValue]], targetIndex: Int, spec: TrainingSpec
    ) -> ([Int], [TrainingReport.Exclusion]) {
        var indices: [Int] = []
        var excluded: [TrainingReport.Exclusion] = []
        for (index, column) in columns.enumerated() where index != targetIndex {
            if spec.excludedColumns.contains(column.name) {
                excluded.append(.init(name: column.name, reason: "excluded in the spec"))
            } else if column.type == .string, rows.count >= 20, Set(rows.lazy.map { $0[index] }).count > rows.count / 2 {
                excluded.append(.init(name: column.name, reason: "almost every value is different: an identifier or free text?"))
            } else {
                indices.append(index)
            }
        }
        return (indices, excluded)
    }

    struct Fitted {
        var preprocessor: Preprocessor
        var algorithm: ModelFile.Algorithm
        var iterations: Int?
        var lossCurves: [String: [Double]] = [:]
    }

    /// Fits the preprocessor and the algorithm on the training rows only.
    static func fit(
        _ algorithm: TrainingSpec.Algorithm, target: TargetEncoding, columns: [Column], rows: [[TabularValue]], targets: [Double], spec: TrainingSpec,
        monitor: TrainingMonitor? = nil
    ) -> Fitted {
        let preprocessor = Preprocessor.fit(columns: columns, rows: rows, style: algorithm == .boostedTrees ? .trees : .linear)
        let x = preprocessor.transform(rows)
        switch algorithm {
        case .logistic:
            let model = LogisticRegression.fit(x, labels: targets.map { Int($0) }, classCount: target.classes.count, c: spec.regularization ?? 1)
            return Fitted(preprocessor: preprocessor, algorithm: .logistic(model))
        case .ridge:
            // A non-finite input is impossible here (the preprocessor imputes), so the smallest-penalty fallback always solves.
            let model = (try? RidgeRegression.fit(x, targets, alpha: spec.regularization ?? 1)) ?? LinearModel(weights: .init(repeating: 0, count: x.columns), intercept: targets.reduce(0, +) / Double(targets.count))
            return Fitted(preprocessor: preprocessor, algorithm: .ridge(model))
        case .boostedTrees:
            var parameters = spec.boosting ?? BoostingParameters()
            if spec.boosting == nil { parameters.seed = spec.seed }
            let task: BoostingTask = switch target.task {
            case .regression: .regression
            case .binary: .binary
            case .multiclass: .multiclass(classes: target.classes.count)
            }
            let outcome = GradientBoosting.fit(x, targets: targets, task: task, parameters: parameters, monitor: monitor)
            var curves = ["training_loss": outcome.trainingLoss]
            if !outcome.validationLoss.isEmpty { curves["validation_loss"] = outcome.validationLoss }
            return Fitted(
                preprocessor: preprocessor, algorithm: .boostedTrees(outcome.model), iterations: outcome.model.trees.count / max(1, outcome.model.outputs),
                lossCurves: curves)
        }
    }

    /// Held-out metrics (and the confusion matrix for classification).
    static func evaluate(_ model: ModelFile, rows: [[TabularValue]], targets: [Double]) -> ([String: Double], [[Int]]?) {
        let predictions = rows.map(model.predict)
        if model.task == .regression {
            let metrics = RegressionMetrics(targets: targets, predictions: predictions.map(\.value))
            var values = ["rmse": metrics.rmse, "mae": metrics.mae]
            values["r2"] = metrics.r2
            return (values, nil)
        }
        let metrics = ClassificationMetrics(labels: targets.map { Int($0) }, probabilities: predictions.map(\.probabilities), classCount: model.classes.count)
        var values = ["accuracy": metrics.accuracy, "precision": metrics.precision, "recall": metrics.recall, "f1": metrics.f1, "log_loss": metrics.logLoss]
        values["roc_auc"] = metrics.rocAUC
        return (values, metrics.confusion)
    }

    /// Each input column's share: boosted trees' split gain, or for linear models the magnitude of the weights on the
    /// standardised features (summed over a column's one-hot features and over classes).
    static func importances(of model: ModelFile) -> [TrainingReport.Importance] {
        let perFeature: [Double]
        switch model.algorithm {
        case .boostedTrees(let trees): perFeature = trees.featureImportances
        case .ridge(let linear): perFeature = linear.weights.map(abs)
        case .logistic(let logistic):
            perFeature = (0..<model.preprocessor.featureCount).map { feature in logistic.weights.reduce(0) { $0 + abs($1[feature]) } }
        }
        var offset = 0
        var shares: [TrainingReport.Importance] = []
        for input in model.preprocessor.inputs {
            let sum = perFeature[offset..<min(offset + input.width, perFeature.count)].reduce(0, +)
            shares.append(.init(name: input.column.name, importance: sum))
            offset += input.width
        }
        let total = shares.reduce(0) { $0 + $1.importance }
        if total > 0 { for index in shares.indices { shares[index].importance /= total } }
        return shares.sorted { $0.importance != $1.importance ? $0.importance > $1.importance : $0.name < $1.name }
    }

    /// The main metric over `folds` folds of the training rows (each fold scored by a model fitted on the others).
    static func crossValidate(
        folds: Int, metric: String, algorithm: TrainingSpec.Algorithm, target: TargetEncoding, columns: [Column], rows: [[TabularValue]],
        targets: [Double], spec: TrainingSpec, monitor: TrainingMonitor?
    ) -> TrainingReport.CrossValidation? {
        var order = Array(rows.indices)
        var generator = SeededGenerator(seed: spec.seed &+ 1)
        order.shuffle(using: &generator)
        var scores: [Double] = []
        for fold in 0..<folds where monitor?.isStopped != true {
            let held = Set(order.enumerated().filter { $0.offset % folds == fold }.map(\.element))
            let kept = rows.indices.filter { !held.contains($0) }
            let heldRows = held.sorted()
            guard !heldRows.isEmpty, kept.count >= 2 else { continue }
            let fitted = fit(
                algorithm, target: target, columns: columns, rows: kept.map { rows[$0] }, targets: kept.map { targets[$0] }, spec: spec, monitor: monitor)
            let model = ModelFile(task: target.task, target: spec.target, classes: target.classes, preprocessor: fitted.preprocessor, algorithm: fitted.algorithm)
            if let score = evaluate(model, rows: heldRows.map { rows[$0] }, targets: heldRows.map { targets[$0] }).0[metric] { scores.append(score) }
        }
        guard !scores.isEmpty else { return nil }
        let mean = scores.reduce(0, +) / Double(scores.count)
        let variance = scores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(scores.count)
        return .init(folds: folds, metric: metric, mean: mean, standardDeviation: variance.squareRoot())
    }
}
