import Foundation
import Testing

@testable import Learning

/// Ridge and logistic regression on cases small enough to work out by hand, and the optimality conditions on others.
@Suite struct LinearModelTests {
    @Test func ridgeMatchesTheClosedFormWorkedOutByHand() throws {
        // x̄ = 2, ȳ = 5/3, Sxy = 1, Sxx = 2: least squares w = Sxy/Sxx = 0.5, b = ȳ − w·x̄ = 2/3;
        // ridge with alpha 1: w = Sxy/(Sxx + 1) = 1/3, b = 5/3 − 2/3 = 1 (the intercept is not penalised).
        let x = Matrix([[1], [2], [3]])
        let y = [1.0, 2, 2]
        let leastSquares = try RidgeRegression.fit(x, y, alpha: 0)
        #expect(abs(leastSquares.weights[0] - 0.5) < 1e-12 && abs(leastSquares.intercept - 2.0 / 3) < 1e-12)
        let ridge = try RidgeRegression.fit(x, y, alpha: 1)
        #expect(abs(ridge.weights[0] - 1.0 / 3) < 1e-12 && abs(ridge.intercept - 1) < 1e-12)
        #expect(ridge.predict(x).enumerated().allSatisfy { abs($0.element - (1 + Double($0.offset + 1) / 3)) < 1e-12 })
    }

    @Test func ridgeSatisfiesItsNormalEquationsOnRandomData() throws {
        // At the optimum the gradient vanishes: Xcᵀ(yc − Xc·w) = alpha·w, with Xc and yc centred.
        var generator = SplitMix(seed: 7)
        let rows = 5_000
        let columns = 6
        var x = Matrix(rows: rows, columns: columns)
        var y = [Double](repeating: 0, count: rows)
        for row in 0..<rows {
            for column in 0..<columns { x[row, column] = generator.normal() * Double(column + 1) + Double(column) }
            y[row] = 3 + (0..<columns).reduce(0) { $0 + Double($1 - 2) * x[row, $1] } + generator.normal()
        }
        for alpha in [0.0, 0.5, 100] {
            let model = try RidgeRegression.fit(x, y, alpha: alpha)
            let means = (0..<columns).map { column in (0..<rows).reduce(0) { $0 + x[$1, column] } / Double(rows) }
            let meanY = y.reduce(0, +) / Double(rows)
            let residuals = (0..<rows).map { row in
                (y[row] - meanY) - (0..<columns).reduce(0) { $0 + model.weights[$1] * (x[row, $1] - means[$1]) }
            }
            for column in 0..<columns {
                let gradient = (0..<rows).reduce(0) { $0 + (x[$1, column] - means[column]) * residuals[$1] } - alpha * model.weights[column]
                #expect(abs(gradient) < 1e-6 * Double(rows), "alpha \(alpha), column \(column): \(gradient)")
            }
            #expect(abs(model.intercept - (meanY - (0..<columns).reduce(0) { $0 + model.weights[$1] * means[$1] })) < 1e-9)
        }
    }

    @Test func ridgeStillAnswersWhenAColumnRepeatsAnother() throws {
        let x = Matrix((0..<50).map { [Double($0), Double($0), 1] })  // a copy and a constant
        let y = (0..<50).map { 2 * Double($0) + 1 }
        let model = try RidgeRegression.fit(x, y, alpha: 0)
        #expect(model.predict(x).enumerated().allSatisfy { abs($0.element - y[$0.offset]) < 1e-6 })
    }

    @Test func logisticRegressionSeparatesSeparableDataAndReachesItsOptimum() {
        var generator = SplitMix(seed: 11)
        let rows = 2_000
        var x = Matrix(rows: rows, columns: 2)
        var labels = [Int](repeating: 0, count: rows)
        for row in 0..<rows {
            let label = row % 2
            x[row, 0] = generator.normal() + (label == 1 ? 4 : -4)
            x[row, 1] = generator.normal()
            labels[row] = label
        }
        let model = LogisticRegression.fit(x, labels: labels, classCount: 2, c: 1)
        let metrics = ClassificationMetrics(labels: labels, probabilities: model.probabilities(x), classCount: 2)
        #expect(metrics.accuracy == 1 && metrics.rocAUC == 1)
        #expect(model.weights[0][0] > 1 && abs(model.weights[0][1]) < 0.5)
        // Optimality: the mean-loss gradient plus the penalty's is zero (C = 1: penalty 1/n).
        let probabilities = model.probabilities(x).map { $0[1] }
        for feature in 0..<2 {
            let gradient = (0..<rows).reduce(0) { $0 + (probabilities[$1] - Double(labels[$1])) * x[$1, feature] } / Double(rows)
                + model.weights[0][feature] / Double(rows)
            #expect(abs(gradient) < 1e-5, "feature \(feature): \(gradient)")
        }
    }

    @Test func multinomialLogisticRegressionLearnsThreeClasses() {
        var generator = SplitMix(seed: 3)
        let centres = [(0.0, 3.0), (3.0, -2.0), (-3.0, -2.0)]
        let rows = 3_000
        var x = Matrix(rows: rows, columns: 2)
        var labels = [Int](repeating: 0, count: rows)
        for row in 0..<rows {
            let label = row % 3
            x[row, 0] = centres[label].0 + generator.normal() * 0.7
            x[row, 1] = centres[label].1 + generator.normal() * 0.7
            labels[row] = label
        }
        let model = LogisticRegression.fit(x, labels: labels, classCount: 3)
        let probabilities = model.probabilities(x)
        #expect(probabilities.allSatisfy { abs($0.reduce(0, +) - 1) < 1e-12 })
        let metrics = ClassificationMetrics(labels: labels, probabilities: probabilities, classCount: 3)
        #expect(metrics.accuracy > 0.99 && metrics.rocAUC! > 0.999)
        #expect(metrics.confusion.map { $0.reduce(0, +) } == [1_000, 1_000, 1_000])
    }
}

/// The trainers' deterministic generator for test data, with normal deviates by Box–Muller.
struct SplitMix: RandomNumberGenerator {
    var base: SeededGenerator
    init(seed: UInt64) { base = SeededGenerator(seed: seed) }
    mutating func next() -> UInt64 { base.next() }
    mutating func normal() -> Double {
        let u = Double.random(in: Double.ulpOfOne..<1, using: &self)
        let v = Double.random(in: 0..<1, using: &self)
        return (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * Double.pi * v)
    }
}
