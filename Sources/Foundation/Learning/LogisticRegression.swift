import Foundation

/// A fitted logistic regression: binary (one weight vector, for class 1) or multinomial (one per class, softmax).
public struct LogisticModel: Sendable, Equatable, Codable {
    /// How many classes (labels 0..<classCount); 2 means binary.
    public var classCount: Int
    /// Binary: one row (class 1's log-odds); multinomial: one row per class. Each row has one weight per feature.
    public var weights: [[Double]]
    /// One intercept per row of ``weights``.
    public var intercepts: [Double]

    /// The probability of each class for one row of features.
    public func probabilities(_ row: UnsafeBufferPointer<Double>) -> [Double] {
        var scores = [Double](repeating: 0, count: weights.count)
        for (index, classWeights) in weights.enumerated() {
            var sum = intercepts[index]
            for feature in 0..<classWeights.count { sum += classWeights[feature] * row[feature] }
            scores[index] = sum
        }
        if classCount == 2 {
            let positive = LogisticRegression.sigmoid(scores[0])
            return [1 - positive, positive]
        }
        return LogisticRegression.softmax(scores)
    }

    /// The class probabilities of every row of `x` (one array of ``classCount`` per row).
    public func probabilities(_ x: Matrix) -> [[Double]] {
        x.values.withUnsafeBufferPointer { values in
            (0..<x.rows).map { row in probabilities(UnsafeBufferPointer(rebasing: values[(row * x.columns)..<((row + 1) * x.columns)])) }
        }
    }
}

/// L2-regularised logistic regression fitted by L-BFGS, like scikit-learn's `LogisticRegression(solver="lbfgs")`:
/// minimises `C · Σᵢ loss(i) + ½‖W‖²` (the intercepts not penalised), with the log-loss of a sigmoid for two classes
/// and of a softmax over all classes (multinomial) for more. Features should be standardised (``Preprocessor`` does).
/// Loss and gradient are summed on every core.
public enum LogisticRegression {
    /// Fits the model.
    /// - Parameters:
    ///   - x: one row per example.
    ///   - labels: the class of each row, `0..<classCount`.
    ///   - classCount: at least 2.
    ///   - c: the inverse penalty strength (scikit-learn's `C`, default 1).
    ///   - maximumIterations: L-BFGS iterations at most (default 200).
    ///   - tolerance: stop once every gradient component of the mean objective is at most this (default 1e-6).
    public static func fit(
        _ x: Matrix, labels: [Int], classCount: Int, c: Double = 1, maximumIterations: Int = 200, tolerance: Double = 1e-6
    ) -> LogisticModel {
        precondition(x.rows == labels.count && x.rows > 0, "LogisticRegression needs one label per row and at least one row")
        precondition(classCount >= 2 && labels.allSatisfy { (0..<classCount).contains($0) }, "labels must be in 0..<classCount")
        precondition(c > 0, "C must be positive")
        let p = x.columns
        let n = x.rows
        let vectors = classCount == 2 ? 1 : classCount
        let width = p + 1
        let penalty = 1 / (c * Double(n))
        let outcome = x.values.withUnsafeBufferPointer { values in
            LBFGS.minimize(from: [Double](repeating: 0, count: vectors * width), maximumIterations: maximumIterations, gradientTolerance: tolerance) {
                parameters, gradient in
                let parts = Parallel.map(count: n, minimumPerPart: 2_048) { range in
                    partialLossAndGradient(values, p: p, labels: labels, parameters: parameters, vectors: vectors, rows: range)
                }
                var loss = 0.0
                for index in gradient.indices { gradient[index] = 0 }
                for (partLoss, partGradient) in parts {
                    loss += partLoss
                    for index in gradient.indices { gradient[index] += partGradient[index] }
                }
                loss /= Double(n)
                for index in gradient.indices { gradient[index] /= Double(n) }
                for vector in 0..<vectors {
                    for feature in 0..<p {
                        let weight = parameters[vector * width + feature]
                        loss += 0.5 * penalty * weight * weight
                        gradient[vector * width + feature] += penalty * weight
                    }
                }
                return loss
            }
        }
        let weights = (0..<vectors).map { vector in Array(outcome.parameters[(vector * width)..<(vector * width + p)]) }
        let intercepts = (0..<vectors).map { outcome.parameters[$0 * width + p] }
        return LogisticModel(classCount: classCount, weights: weights, intercepts: intercepts)
    }

    /// The summed log-loss of `rows` and its gradient (not yet divided by the row count).
    private static func partialLossAndGradient(
        _ values: UnsafeBufferPointer<Double>, p: Int, labels: [Int], parameters: [Double], vectors: Int, rows: Range<Int>
    ) -> (Double, [Double]) {
        let width = p + 1
        var gradient = [Double](repeating: 0, count: vectors * width)
        var scores = [Double](repeating: 0, count: vectors)
        var loss = 0.0
        for row in rows {
            let base = row * p
            for vector in 0..<vectors {
                var sum = parameters[vector * width + p]
                for feature in 0..<p { sum += parameters[vector * width + feature] * values[base + feature] }
                scores[vector] = sum
            }
            let label = labels[row]
            if vectors == 1 {
                let z = scores[0]
                // log(1 + e^z) − y·z, computed without overflow.
                loss += (z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))) - (label == 1 ? z : 0)
                let error = sigmoid(z) - (label == 1 ? 1 : 0)
                for feature in 0..<p { gradient[feature] += error * values[base + feature] }
                gradient[p] += error
            } else {
                let largest = scores.max()!
                var total = 0.0
                for vector in 0..<vectors { total += exp(scores[vector] - largest) }
                loss += largest + log(total) - scores[label]
                for vector in 0..<vectors {
                    let error = exp(scores[vector] - largest) / total - (vector == label ? 1 : 0)
                    for feature in 0..<p { gradient[vector * width + feature] += error * values[base + feature] }
                    gradient[vector * width + p] += error
                }
            }
        }
        return (loss, gradient)
    }

    /// 1 / (1 + e^−z), without overflow.
    @inline(__always)
    static func sigmoid(_ z: Double) -> Double {
        z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
    }

    /// The softmax of `scores`.
    static func softmax(_ scores: [Double]) -> [Double] {
        let largest = scores.max() ?? 0
        let exponentials = scores.map { exp($0 - largest) }
        let total = exponentials.reduce(0, +)
        return exponentials.map { $0 / total }
    }
}
