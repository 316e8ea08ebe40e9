import Foundation

/// The significance tests an A/B comparison needs: a two-proportion z-test for rates (accuracy, conversion) and
/// Welch's t-test for means (a business outcome), each with the difference, its 95% confidence interval and a
/// two-sided p-value.
public enum SignificanceTests {
    /// The outcome of comparing variant B with variant A.
    public struct Comparison: Sendable, Equatable, Codable {
        /// B's estimate minus A's.
        public var difference: Double
        /// The 95% confidence interval of the difference.
        public var lower: Double, upper: Double
        /// The test statistic (z or t).
        public var statistic: Double
        /// Two-sided p-value.
        public var pValue: Double
        /// Degrees of freedom (Welch); nil for the z-test.
        public var degreesOfFreedom: Double?

        /// Whether the difference is significant at 5%.
        public var isSignificant: Bool { pValue < 0.05 }

        enum CodingKeys: String, CodingKey {
            case difference, lower, upper, statistic
            case pValue = "p_value", degreesOfFreedom = "degrees_of_freedom"
        }
    }

    /// Two-proportion z-test of `successesB / trialsB` against `successesA / trialsA` (pooled standard error for the
    /// test, unpooled for the interval). Nil when either side has no trials.
    public static func twoProportions(successesA: Int, trialsA: Int, successesB: Int, trialsB: Int) -> Comparison? {
        guard trialsA > 0, trialsB > 0 else { return nil }
        let (nA, nB) = (Double(trialsA), Double(trialsB))
        let (pA, pB) = (Double(successesA) / nA, Double(successesB) / nB)
        let pooled = Double(successesA + successesB) / (nA + nB)
        let pooledError = (pooled * (1 - pooled) * (1 / nA + 1 / nB)).squareRoot()
        let error = (pA * (1 - pA) / nA + pB * (1 - pB) / nB).squareRoot()
        let difference = pB - pA
        let z = pooledError > 0 ? difference / pooledError : 0
        return Comparison(
            difference: difference, lower: difference - 1.959963984540054 * error, upper: difference + 1.959963984540054 * error, statistic: z,
            pValue: pooledError > 0 ? 2 * normalSurvival(abs(z)) : 1, degreesOfFreedom: nil)
    }

    /// Welch's t-test of B's mean against A's from each side's mean, sample variance (n − 1) and size. Nil when a side
    /// has fewer than two values.
    public static func welch(meanA: Double, varianceA: Double, countA: Int, meanB: Double, varianceB: Double, countB: Int) -> Comparison? {
        guard countA >= 2, countB >= 2 else { return nil }
        let (a, b) = (varianceA / Double(countA), varianceB / Double(countB))
        let error = (a + b).squareRoot()
        let difference = meanB - meanA
        guard error > 0 else {
            return Comparison(difference: difference, lower: difference, upper: difference, statistic: 0, pValue: difference == 0 ? 1 : 0, degreesOfFreedom: nil)
        }
        let df = (a + b) * (a + b) / (a * a / Double(countA - 1) + b * b / Double(countB - 1))
        let t = difference / error
        let critical = studentQuantile(0.975, degreesOfFreedom: df)
        return Comparison(
            difference: difference, lower: difference - critical * error, upper: difference + critical * error, statistic: t,
            pValue: 2 * studentSurvival(abs(t), degreesOfFreedom: df), degreesOfFreedom: df)
    }

    /// Rows per variant a two-proportion test needs to detect a change of `effect` (either way) from `baseline` with 80%
    /// power at 5% significance (two-sided).
    public static func sampleSize(baseline: Double, effect: Double) -> Int {
        let p1 = min(max(baseline, 0.001), 0.999)
        // Near the ends of the scale the change is looked for in the direction that has room for it.
        let p2 = p1 + abs(effect) <= 0.999 ? p1 + abs(effect) : max(0.001, p1 - abs(effect))
        guard p2 != p1 else { return Int.max }
        let (zAlpha, zBeta) = (1.959963984540054, 0.8416212335729143)
        let mean = (p1 + p2) / 2
        let numerator = zAlpha * (2 * mean * (1 - mean)).squareRoot() + zBeta * (p1 * (1 - p1) + p2 * (1 - p2)).squareRoot()
        return Int((numerator * numerator / ((p2 - p1) * (p2 - p1))).rounded(.up))
    }

    /// P(Z > z) for a standard normal Z.
    public static func normalSurvival(_ z: Double) -> Double { 0.5 * erfc(z / 2.0.squareRoot()) }

    /// P(T > t) for Student's t with `degreesOfFreedom`, through the regularised incomplete beta function.
    public static func studentSurvival(_ t: Double, degreesOfFreedom df: Double) -> Double {
        let x = df / (df + t * t)
        let tail = 0.5 * incompleteBeta(x, a: df / 2, b: 0.5)
        return t >= 0 ? tail : 1 - tail
    }

    /// The `p` quantile of Student's t (bisection on ``studentSurvival(_:degreesOfFreedom:)``).
    static func studentQuantile(_ p: Double, degreesOfFreedom df: Double) -> Double {
        var (low, high) = (0.0, 1000.0)
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if 1 - studentSurvival(middle, degreesOfFreedom: df) < p { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }

    /// The regularised incomplete beta function I_x(a, b) (continued fraction, Numerical Recipes' method).
    static func incompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let gammas: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let logFront: Double = gammas + a * log(x) + b * log(1 - x)
        if x < (a + 1) / (a + b + 2) { return exp(logFront) * betaFraction(x, a: a, b: b) / a }
        return 1 - exp(logFront) * betaFraction(1 - x, a: b, b: a) / b
    }

    private static func betaFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        d = 1 / (abs(d) < tiny ? tiny : d)
        var h = d
        for m in 1...300 {
            let m = Double(m)
            var numerator = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + numerator * d
            d = 1 / (abs(d) < tiny ? tiny : d)
            c = 1 + numerator / c
            c = abs(c) < tiny ? tiny : c
            h *= d * c
            numerator = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + numerator * d
            d = 1 / (abs(d) < tiny ? tiny : d)
            c = 1 + numerator / c
            c = abs(c) < tiny ? tiny : c
            let step = d * c
            h *= step
            if abs(step - 1) < 1e-14 { break }
        }
        return h
    }
}
