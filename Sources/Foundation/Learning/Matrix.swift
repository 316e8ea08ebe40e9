/// A dense row-major matrix of doubles: the training rows of the built-in trainers (one row per example, one column per
/// encoded feature) and the small square systems they solve.
public struct Matrix: Sendable, Equatable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let columns: Int
    /// `rows × columns` values, row after row.
    public var values: [Double]

    /// A matrix of zeros.
    public init(rows: Int, columns: Int) {
        precondition(rows >= 0 && columns >= 0, "Matrix dimensions must not be negative")
        self.rows = rows
        self.columns = columns
        values = Array(repeating: 0, count: rows * columns)
    }

    /// A matrix from its rows (all of the same length).
    public init(_ rowValues: [[Double]]) {
        let width = rowValues.first?.count ?? 0
        precondition(rowValues.allSatisfy { $0.count == width }, "Matrix rows must have the same length")
        rows = rowValues.count
        columns = width
        values = rowValues.flatMap { $0 }
    }

    /// The value at (`row`, `column`).
    @inline(__always)
    public subscript(row: Int, column: Int) -> Double {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    /// Row `row` as an array.
    public func row(_ row: Int) -> [Double] {
        Array(values[(row * columns)..<((row + 1) * columns)])
    }

    /// The rows at `indices`, in that order.
    public func rows(at indices: [Int]) -> Matrix {
        var result = Matrix(rows: indices.count, columns: columns)
        for (target, source) in indices.enumerated() {
            for column in 0..<columns { result.values[target * columns + column] = values[source * columns + column] }
        }
        return result
    }
}

/// Why a linear system could not be solved.
public struct SingularSystemError: Error, Sendable, CustomStringConvertible {
    /// What was singular.
    public let description: String
}

extension Matrix {
    /// Solves `self · x = b` for a symmetric positive-definite `self` by Cholesky factorisation (`self = L·Lᵀ`).
    /// - Throws: ``SingularSystemError`` when the matrix is not positive definite (to working precision).
    public func choleskySolve(_ b: [Double]) throws(SingularSystemError) -> [Double] {
        precondition(rows == columns && b.count == rows, "choleskySolve needs a square matrix and a matching right-hand side")
        let n = rows
        var lower = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var sum = self[i, j]
                for k in 0..<j { sum -= lower[i * n + k] * lower[j * n + k] }
                if i == j {
                    guard sum > 0, sum.isFinite else {
                        throw SingularSystemError(description: "The system is singular: column \(i) depends on the others")
                    }
                    lower[i * n + i] = sum.squareRoot()
                } else {
                    lower[i * n + j] = sum / lower[j * n + j]
                }
            }
        }
        // L·y = b, then Lᵀ·x = y.
        var y = b
        for i in 0..<n {
            var sum = y[i]
            for k in 0..<i { sum -= lower[i * n + k] * y[k] }
            y[i] = sum / lower[i * n + i]
        }
        var x = y
        for i in stride(from: n - 1, through: 0, by: -1) {
            var sum = x[i]
            for k in (i + 1)..<max(i + 1, n) { sum -= lower[k * n + i] * x[k] }
            x[i] = sum / lower[i * n + i]
        }
        return x
    }
}
