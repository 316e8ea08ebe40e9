import Foundation
import Testing

@testable import Learning

/// The metrics on cases worked out by hand.
@Suite struct MetricsTests {
    @Test func binaryMetricsAndAUCWithTies() throws {
        // Positives scored 0.8 and 0.4, negatives 0.4 and 0.1: of the 4 pairs, 3 are ordered right and 1 ties (½).
        #expect(ClassificationMetrics.auc([true, true, false, false], [0.8, 0.4, 0.4, 0.1]) == 3.5 / 4)
        #expect(ClassificationMetrics.auc([true, true], [0.1, 0.2]) == nil)
        let labels = [1, 1, 0, 0, 1]
        let probabilities = [[0.2, 0.8], [0.6, 0.4], [0.6, 0.4], [0.9, 0.1], [0.3, 0.7]]
        let metrics = ClassificationMetrics(labels: labels, probabilities: probabilities, classCount: 2)
        // Predicted: 1, 0, 0, 0, 1 → true positives 2, false negatives 1, no false positives.
        #expect(metrics.confusion == [[2, 0], [1, 2]])
        #expect(metrics.accuracy == 0.8 && metrics.precision == 1 && abs(metrics.recall - 2.0 / 3) < 1e-12)
        #expect(abs(metrics.f1 - 0.8) < 1e-12)
        let expectedLogLoss = -(log(0.8) + log(0.4) + log(0.6) + log(0.9) + log(0.7)) / 5
        #expect(abs(metrics.logLoss - expectedLogLoss) < 1e-12)
        // Scores for class 1: positives 0.8, 0.4, 0.7; negatives 0.4, 0.1 → pairs 6, right 5, one tie: 5.5/6.
        #expect(abs(metrics.rocAUC! - 5.5 / 6) < 1e-12)
    }

    @Test func multiClassMetricsAreMacroAverages() {
        let labels = [0, 1, 2, 2]
        let probabilities = [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.1, 0.1, 0.8], [0.2, 0.5, 0.3]]
        let metrics = ClassificationMetrics(labels: labels, probabilities: probabilities, classCount: 3)
        // Predicted 0, 2, 2, 1. Class 0: P 1, R 1; class 1: P 0, R 0; class 2: P 1/2, R 1/2.
        #expect(metrics.confusion == [[1, 0, 0], [0, 0, 1], [0, 1, 1]])
        #expect(metrics.accuracy == 0.5)
        #expect(abs(metrics.precision - 0.5) < 1e-12 && abs(metrics.recall - 0.5) < 1e-12 && abs(metrics.f1 - 0.5) < 1e-12)
    }

    @Test func regressionMetrics() {
        let metrics = RegressionMetrics(targets: [1, 2, 3], predictions: [1, 2, 4])
        #expect(abs(metrics.rmse - (1.0 / 3).squareRoot()) < 1e-12 && abs(metrics.mae - 1.0 / 3) < 1e-12)
        #expect(metrics.r2 == 0.5)
        #expect(RegressionMetrics(targets: [2, 2], predictions: [1, 3]).r2 == nil)
    }
}
