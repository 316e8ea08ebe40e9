/// Limited-memory BFGS minimisation of a smooth function (Nocedal and Wright, "Numerical Optimization", algorithm 7.4,
/// with a backtracking line search on the Armijo condition), as scikit-learn's `lbfgs` solver uses for logistic
/// regression.
enum LBFGS {
    /// Where the minimisation stopped.
    struct Outcome {
        /// The parameters found.
        var parameters: [Double]
        /// The function's value there.
        var value: Double
        /// Iterations run.
        var iterations: Int
        /// True when the gradient fell under the tolerance (false: the iteration limit or no further progress).
        var converged: Bool
    }

    /// Minimises `evaluate`, which returns the value at its first argument and writes the gradient into its second.
    /// - Parameters:
    ///   - start: the first parameters.
    ///   - memory: how many past steps approximate the curvature (default 10).
    ///   - maximumIterations: the most iterations.
    ///   - gradientTolerance: stop once every gradient component is at most this in absolute value.
    static func minimize(
        from start: [Double], memory: Int = 10, maximumIterations: Int, gradientTolerance: Double,
        _ evaluate: ([Double], inout [Double]) -> Double
    ) -> Outcome {
        let n = start.count
        var x = start
        var gradient = [Double](repeating: 0, count: n)
        var value = evaluate(x, &gradient)
        var steps: [[Double]] = []  // s_k = x_{k+1} − x_k
        var changes: [[Double]] = []  // y_k = g_{k+1} − g_k
        var curvatures: [Double] = []  // 1 / (y_k · s_k)
        var nextGradient = [Double](repeating: 0, count: n)
        for iteration in 0..<maximumIterations {
            if gradient.allSatisfy({ abs($0) <= gradientTolerance }) {
                return Outcome(parameters: x, value: value, iterations: iteration, converged: true)
            }
            // Two-loop recursion: direction = −H·g.
            var direction = gradient
            var alphas = [Double](repeating: 0, count: steps.count)
            for index in stride(from: steps.count - 1, through: 0, by: -1) {
                alphas[index] = curvatures[index] * dot(steps[index], direction)
                axpy(-alphas[index], changes[index], &direction)
            }
            if let lastStep = steps.last, let lastChange = changes.last {
                scale(&direction, by: dot(lastStep, lastChange) / dot(lastChange, lastChange))
            } else {
                scale(&direction, by: 1 / max(1, norm(gradient)))
            }
            for index in steps.indices {
                let beta = curvatures[index] * dot(changes[index], direction)
                axpy(alphas[index] - beta, steps[index], &direction)
            }
            scale(&direction, by: -1)
            var slope = dot(gradient, direction)
            if slope >= 0 {  // not a descent direction (curvature lost): restart from steepest descent
                steps.removeAll()
                changes.removeAll()
                curvatures.removeAll()
                direction = gradient.map { -$0 / max(1, norm(gradient)) }
                slope = dot(gradient, direction)
            }
            // Backtracking on the Armijo condition.
            var stepLength = 1.0
            var candidate = x
            var candidateValue = value
            var accepted = false
            for _ in 0..<40 {
                for index in 0..<n { candidate[index] = x[index] + stepLength * direction[index] }
                candidateValue = evaluate(candidate, &nextGradient)
                if candidateValue.isFinite, candidateValue <= value + 1e-4 * stepLength * slope {
                    accepted = true
                    break
                }
                stepLength *= 0.5
            }
            guard accepted else { return Outcome(parameters: x, value: value, iterations: iteration, converged: false) }
            let step = (0..<n).map { candidate[$0] - x[$0] }
            let change = (0..<n).map { nextGradient[$0] - gradient[$0] }
            let curvature = dot(change, step)
            if curvature > 1e-12 {
                if steps.count == memory {
                    steps.removeFirst()
                    changes.removeFirst()
                    curvatures.removeFirst()
                }
                steps.append(step)
                changes.append(change)
                curvatures.append(1 / curvature)
            }
            let improvement = value - candidateValue
            x = candidate
            value = candidateValue
            swap(&gradient, &nextGradient)
            if improvement <= 1e-12 * max(abs(value), 1) {
                return Outcome(parameters: x, value: value, iterations: iteration + 1, converged: gradient.allSatisfy { abs($0) <= gradientTolerance })
            }
        }
        return Outcome(parameters: x, value: value, iterations: maximumIterations, converged: gradient.allSatisfy { abs($0) <= gradientTolerance })
    }

    private static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var sum = 0.0
        for index in a.indices { sum += a[index] * b[index] }
        return sum
    }

    private static func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }

    private static func axpy(_ factor: Double, _ x: [Double], _ y: inout [Double]) {
        for index in x.indices { y[index] += factor * x[index] }
    }

    private static func scale(_ x: inout [Double], by factor: Double) {
        for index in x.indices { x[index] *= factor }
    }
}
