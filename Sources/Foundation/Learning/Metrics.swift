import Foundation

/// How well a classifier did on labelled rows, as scikit-learn's metrics compute it.
public struct ClassificationMetrics: Sendable, Equatable, Codable {
    /// Share of rows whose most probable class is the label.
    public var accuracy: Double
    /// Binary: of the rows predicted 1, the share labelled 1; multi-class: the unweighted mean over classes (macro).
    public var precision: Double
    /// Binary: of the rows labelled 1, the share predicted 1; multi-class: macro mean.
    public var recall: Double
    /// Harmonic mean of precision and recall (binary), or the macro mean of each class's F1.
    public var f1: Double
    /// Area under the ROC curve: binary from the class-1 probability (ties count half); multi-class: macro mean of
    /// one-vs-rest AUCs. Nil when a class has no rows (the curve is undefined).
    public var rocAUC: Double?
    /// Mean negative log-probability of the label (probabilities clipped to [1e-15, 1 − 1e-15]).
    public var logLoss: Double
    /// `confusion[label][predicted]` row counts.
    public var confusion: [[Int]]

    /// The metrics of `probabilities` (one array per row, one probability per class) against `labels`.
    public init(labels: [Int], probabilities: [[Double]], classCount: Int) {
        precondition(labels.count == probabilities.count && !labels.isEmpty, "one probability row per label, at least one")
        var confusion = Array(repeating: Array(repeating: 0, count: classCount), count: classCount)
        var logLoss = 0.0
        for (label, row) in zip(labels, probabilities) {
            let predicted = row.indices.max { row[$0] < row[$1] } ?? 0
            confusion[label][predicted] += 1
            logLoss -= log(min(max(row[label], 1e-15), 1 - 1e-15))
        }
        self.confusion = confusion
        self.logLoss = logLoss / Double(labels.count)
        accuracy = Double((0..<classCount).reduce(0) { $0 + confusion[$1][$1] }) / Double(labels.count)
        func scores(of positive: Int) -> (precision: Double, recall: Double, f1: Double) {
            let truePositives = Double(confusion[positive][positive])
            let predicted = Double((0..<classCount).reduce(0) { $0 + confusion[$1][positive] })
            let actual = Double(confusion[positive].reduce(0, +))
            let precision = predicted > 0 ? truePositives / predicted : 0
            let recall = actual > 0 ? truePositives / actual : 0
            return (precision, recall, precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0)
        }
        if classCount == 2 {
            (precision, recall, f1) = scores(of: 1)
            rocAUC = Self.auc(labels.map { $0 == 1 }, probabilities.map { $0[1] })
        } else {
            let perClass = (0..<classCount).map(scores(of:))
            precision = perClass.map(\.precision).reduce(0, +) / Double(classCount)
            recall = perClass.map(\.recall).reduce(0, +) / Double(classCount)
            f1 = perClass.map(\.f1).reduce(0, +) / Double(classCount)
            let aucs = (0..<classCount).map { positive in Self.auc(labels.map { $0 == positive }, probabilities.map { $0[positive] }) }
            rocAUC = aucs.contains(nil) ? nil : aucs.compactMap { $0 }.reduce(0, +) / Double(classCount)
        }
    }

    /// The ROC AUC of `scores` for `positives` (the Mann–Whitney statistic, ties counting half); nil without both classes.
    public static func auc(_ positives: [Bool], _ scores: [Double]) -> Double? {
        let positiveCount = positives.filter { $0 }.count
        let negativeCount = positives.count - positiveCount
        guard positiveCount > 0, negativeCount > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSum = 0.0
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count, scores[order[end + 1]] == scores[order[start]] { end += 1 }
            let averageRank = Double(start + end) / 2 + 1  // ranks are 1-based; ties share their mean rank
            for position in start...end where positives[order[position]] { rankSum += averageRank }
            start = end + 1
        }
        let positivesF = Double(positiveCount)
        return (rankSum - positivesF * (positivesF + 1) / 2) / (positivesF * Double(negativeCount))
    }
}

/// How well a regressor did, as scikit-learn's metrics compute it.
public struct RegressionMetrics: Sendable, Equatable, Codable {
    /// Root of the mean squared error.
    public var rmse: Double
    /// Mean absolute error.
    public var mae: Double
    /// Coefficient of determination: 1 − SSE/SST (1 is perfect; 0 is predicting the mean; nil when the targets are all equal).
    public var r2: Double?

    /// The metrics of `predictions` against `targets`.
    public init(targets: [Double], predictions: [Double]) {
        precondition(targets.count == predictions.count && !targets.isEmpty, "one prediction per target, at least one")
        let count = Double(targets.count)
        let mean = targets.reduce(0, +) / count
        var squared = 0.0
        var absolute = 0.0
        var total = 0.0
        for (target, prediction) in zip(targets, predictions) {
            squared += (target - prediction) * (target - prediction)
            absolute += abs(target - prediction)
            total += (target - mean) * (target - mean)
        }
        rmse = (squared / count).squareRoot()
        mae = absolute / count
        r2 = total > 0 ? 1 - squared / total : nil
    }
}
