/// A fitted linear model: `prediction = intercept + Σ weights[j] · x[j]`.
public struct LinearModel: Sendable, Equatable, Codable {
    /// One weight per feature column.
    public var weights: [Double]
    /// The unpenalised intercept.
    public var intercept: Double

    /// The prediction for one row of features.
    @inline(__always)
    public func predict(_ row: UnsafeBufferPointer<Double>) -> Double {
        var sum = intercept
        for index in 0..<weights.count { sum += weights[index] * row[index] }
        return sum
    }

    /// The predictions for every row of `x`.
    public func predict(_ x: Matrix) -> [Double] {
        precondition(x.columns == weights.count, "The matrix has \(x.columns) columns; the model has \(weights.count) weights")
        return x.values.withUnsafeBufferPointer { values in
            (0..<x.rows).map { row in predict(UnsafeBufferPointer(rebasing: values[(row * x.columns)..<((row + 1) * x.columns)])) }
        }
    }
}

/// Linear least squares with an L2 penalty (ridge), like scikit-learn's `Ridge`: minimises
/// `‖y − X·w − b‖² + alpha·‖w‖²` with the intercept `b` not penalised; `alpha = 0` is ordinary least squares.
///
/// Closed form on centred, scaled columns: the normal equations `(ZᵀZ + alpha·D)·v = Zᵀy` (Z the columns centred and
/// divided by their standard deviation, D the penalty rescaled to match) are solved by Cholesky factorisation, which
/// is stable because centring and scaling keep ZᵀZ well conditioned; the weights are then scaled back. The sums run on
/// every core (``Parallel``). A column that is constant, or (with `alpha = 0`) a linear combination of others, makes the
/// system singular: such a fit gets the smallest penalty that makes it solvable (1e-10 of the average diagonal), as
/// scikit-learn's solvers also return a solution there.
public enum RidgeRegression {
    /// Fits the model.
    /// - Parameters:
    ///   - x: one row per example.
    ///   - y: one target per row.
    ///   - alpha: the penalty, at least 0.
    /// - Throws: ``SingularSystemError`` only if even the smallest penalty cannot make the system solvable (non-finite input).
    public static func fit(_ x: Matrix, _ y: [Double], alpha: Double) throws(SingularSystemError) -> LinearModel {
        precondition(x.rows == y.count && x.rows > 0, "RidgeRegression needs one target per row and at least one row")
        precondition(alpha >= 0, "alpha must not be negative")
        let p = x.columns
        let n = x.rows
        // Means (first pass), then the centred cross-products (second pass), each split over the cores.
        let partialSums = x.values.withUnsafeBufferPointer { values in
            Parallel.map(count: n) { range in
                var sums = [Double](repeating: 0, count: p + 1)
                for row in range {
                    for column in 0..<p { sums[column] += values[row * p + column] }
                    sums[p] += y[row]
                }
                return sums
            }
        }
        var means = [Double](repeating: 0, count: p + 1)
        for sums in partialSums { for index in 0...p { means[index] += sums[index] } }
        for index in 0...p { means[index] /= Double(n) }
        let partialProducts = x.values.withUnsafeBufferPointer { values in
            Parallel.map(count: n) { range in
                var gram = [Double](repeating: 0, count: p * p)
                var moment = [Double](repeating: 0, count: p)
                var centred = [Double](repeating: 0, count: p)
                for row in range {
                    for column in 0..<p { centred[column] = values[row * p + column] - means[column] }
                    let target = y[row] - means[p]
                    for i in 0..<p {
                        let value = centred[i]
                        moment[i] += value * target
                        for j in 0...i { gram[i * p + j] += value * centred[j] }
                    }
                }
                return (gram, moment)
            }
        }
        var gram = Matrix(rows: p, columns: p)
        var moment = [Double](repeating: 0, count: p)
        for (part, partMoment) in partialProducts {
            for i in 0..<p {
                moment[i] += partMoment[i]
                for j in 0...i { gram.values[i * p + j] += part[i * p + j] }
            }
        }
        // Scale to unit variance (a constant column keeps scale 1), then mirror the lower triangle.
        let scales = (0..<p).map { column in
            let variance = gram[column, column]
            return variance > 0 ? variance.squareRoot() : 1
        }
        var scaled = Matrix(rows: p, columns: p)
        for i in 0..<p {
            for j in 0...i {
                let value = gram[i, j] / (scales[i] * scales[j])
                scaled[i, j] = value
                scaled[j, i] = value
            }
        }
        let rightHandSide = (0..<p).map { moment[$0] / scales[$0] }
        var system = scaled
        for i in 0..<p { system[i, i] += alpha / (scales[i] * scales[i]) }
        let solution: [Double]
        do {
            solution = try system.choleskySolve(rightHandSide)
        } catch {
            let averageDiagonal = max(1, (0..<p).reduce(0) { $0 + system[$1, $1] } / Double(max(p, 1)))
            for i in 0..<p { system[i, i] += 1e-10 * averageDiagonal }
            solution = try system.choleskySolve(rightHandSide)
        }
        let weights = (0..<p).map { solution[$0] / scales[$0] }
        let intercept = means[p] - (0..<p).reduce(0) { $0 + weights[$1] * means[$1] }
        return LinearModel(weights: weights, intercept: intercept)
    }
}
