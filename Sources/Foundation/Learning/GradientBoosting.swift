import Foundation

/// The settings of a boosted-tree fit; the defaults are scikit-learn's `HistGradientBoosting*`.
public struct BoostingParameters: Sendable, Equatable, Codable {
    /// Shrinks each tree's leaves (default 0.1).
    public var learningRate = 0.1
    /// Boosting iterations at most (default 100).
    public var maximumIterations = 100
    /// Leaves per tree at most (default 31).
    public var maximumLeaves = 31
    /// Depth at most; nil for no limit (default).
    public var maximumDepth: Int?
    /// Training rows a leaf must keep (default 20).
    public var minimumSamplesPerLeaf = 20
    /// L2 penalty on leaf values (default 0).
    public var l2Regularization = 0.0
    /// Stop when the validation loss has not improved for ``iterationsWithoutChange`` iterations; nil (default) does
    /// so when there are more than 10,000 rows, as scikit-learn's `"auto"`.
    public var earlyStopping: Bool?
    /// Share of the rows held out for early stopping (default 0.1).
    public var validationFraction = 0.1
    /// Patience of early stopping (default 10).
    public var iterationsWithoutChange = 10
    /// The smallest improvement of the validation loss that counts (default 1e-7).
    public var tolerance = 1e-7
    /// Seeds the validation split (default 0).
    public var seed: UInt64 = 0

    /// The defaults.
    public init() {}

    /// scikit-learn's parameter names, so a spec reads like its `HistGradientBoosting*` call.
    enum CodingKeys: String, CodingKey {
        case learningRate = "learning_rate", maximumIterations = "max_iter", maximumLeaves = "max_leaf_nodes", maximumDepth = "max_depth"
        case minimumSamplesPerLeaf = "min_samples_leaf", l2Regularization = "l2_regularization", earlyStopping = "early_stopping"
        case validationFraction = "validation_fraction", iterationsWithoutChange = "n_iter_no_change", tolerance = "tol", seed = "random_state"
    }

    /// Decodes parameters; every key may be left out (its default applies).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        learningRate = try container.decodeIfPresent(Double.self, forKey: .learningRate) ?? learningRate
        maximumIterations = try container.decodeIfPresent(Int.self, forKey: .maximumIterations) ?? maximumIterations
        maximumLeaves = try container.decodeIfPresent(Int.self, forKey: .maximumLeaves) ?? maximumLeaves
        maximumDepth = try container.decodeIfPresent(Int.self, forKey: .maximumDepth)
        minimumSamplesPerLeaf = try container.decodeIfPresent(Int.self, forKey: .minimumSamplesPerLeaf) ?? minimumSamplesPerLeaf
        l2Regularization = try container.decodeIfPresent(Double.self, forKey: .l2Regularization) ?? l2Regularization
        earlyStopping = try container.decodeIfPresent(Bool.self, forKey: .earlyStopping)
        validationFraction = try container.decodeIfPresent(Double.self, forKey: .validationFraction) ?? validationFraction
        iterationsWithoutChange = try container.decodeIfPresent(Int.self, forKey: .iterationsWithoutChange) ?? iterationsWithoutChange
        tolerance = try container.decodeIfPresent(Double.self, forKey: .tolerance) ?? tolerance
        seed = try container.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
    }
}

/// What a boosted-tree fit predicts.
public enum BoostingTask: Sendable, Equatable {
    /// A number, with squared error.
    case regression
    /// Two classes (targets 0 and 1), with log-loss.
    case binary
    /// `classes` classes (targets 0…classes−1), with multinomial log-loss.
    case multiclass(classes: Int)
}

/// Histogram-based gradient boosting, like scikit-learn's `HistGradientBoostingRegressor` / `Classifier`: features
/// binned into at most 255 bins (missing values in a bin of their own), trees grown leaf-wise on gradients and
/// hessians of the loss, leaves shrunk by the learning rate, optionally early stopping on a held-out share.
public enum GradientBoosting {
    /// A fit's model and its loss per iteration (the run's metric series).
    public struct Outcome: Sendable {
        /// The ensemble (with early stopping: the iterations up to the best validation loss).
        public var model: BoostedTrees
        /// The training loss after each iteration (over at most 10,000 evenly spread training rows, as scikit-learn
        /// does, so that reporting it costs little).
        public var trainingLoss: [Double]
        /// The validation loss after each iteration (empty without early stopping).
        public var validationLoss: [Double]
    }

    /// Fits the ensemble. Blocks its thread (and uses every core) until done.
    /// - Parameters:
    ///   - x: one row per example; NaN is a missing value.
    ///   - targets: numbers (regression) or class indices as numbers (classification).
    ///   - monitor: told each iteration; a stopped monitor ends the fit after the current iteration (the outcome then
    ///     holds the trees so far).
    public static func fit(
        _ x: Matrix, targets: [Double], task: BoostingTask, parameters: BoostingParameters = BoostingParameters(), monitor: TrainingMonitor? = nil
    ) -> Outcome {
        precondition(x.rows == targets.count && x.rows >= 2, "GradientBoosting needs one target per row and at least two rows")
        let outputs: Int
        if case .multiclass(let classes) = task { outputs = classes } else { outputs = 1 }
        // The validation split, as a random share of the rows.
        let stops = parameters.earlyStopping ?? (x.rows > 10_000)
        var order = Array(0..<x.rows)
        var generator = SeededGenerator(seed: parameters.seed)
        order.shuffle(using: &generator)
        let validationCount = stops ? max(1, Int(Double(x.rows) * parameters.validationFraction)) : 0
        let validationRows = Array(order.prefix(validationCount)).sorted()
        let trainingRows = validationCount > 0 ? Array(order.dropFirst(validationCount)).sorted() : Array(0..<x.rows)
        let training = x.rows(at: trainingRows)
        let validation = x.rows(at: validationRows)
        let trainingTargets = trainingRows.map { targets[$0] }
        let validationTargets = validationRows.map { targets[$0] }

        let binning = FeatureBinning(training)
        let binnedTraining = binning.binned(training)
        let binnedValidation = binning.binned(validation)
        let n = training.rows
        let baseline = Loss.baseline(trainingTargets, task: task, outputs: outputs)
        var raw = [Double](repeating: 0, count: n * outputs)
        var validationRaw = [Double](repeating: 0, count: validation.rows * outputs)
        for row in 0..<n { for output in 0..<outputs { raw[row * outputs + output] = baseline[output] } }
        for row in 0..<validation.rows { for output in 0..<outputs { validationRaw[row * outputs + output] = baseline[output] } }

        var trees: [[BoostedTrees.Node]] = []
        var gains = [Double](repeating: 0, count: x.columns)
        var trainingLoss: [Double] = []
        let lossRows = stride(from: 0, to: n, by: max(1, n / 10_000))
        var validationLoss: [Double] = []
        var best = (loss: Double.infinity, iterations: 0)
        // Each row's gradient and hessian side by side, so a node reads both from one cache line.
        var derivatives = [Double](repeating: 0, count: 2 * n)
        var rowOrder = (0..<n).map(Int32.init)
        let binCounts = (0..<x.columns).map(binning.binCount)
        binnedTraining.withUnsafeBufferPointer { binned in
            let grower = TreeGrower(binned: binned, rowCount: n, binCounts: binCounts, parameters: parameters)
            let pool = TreeGrower.Pool()
            for iteration in 0..<parameters.maximumIterations {
                if monitor?.isStopped == true { break }
                defer { monitor?.advance(to: iteration + 1, of: parameters.maximumIterations) }
                for output in 0..<outputs {
                    // Rows in ascending order for every tree: a leaf's rows stay ascending through the (stable)
                    // partitions, so building histograms reads the binned columns forward.
                    for index in rowOrder.indices { rowOrder[index] = Int32(index) }
                    Loss.derivatives(raw: raw, targets: trainingTargets, task: task, outputs: outputs, output: output, into: &derivatives)
                    let nodes = rowOrder.withUnsafeMutableBufferPointer { rows in
                        derivatives.withUnsafeBufferPointer { grower.grow(rows: rows, derivatives: $0, gains: &gains, pool: pool) }
                    }
                    var tree = nodes.map(\.node)
                    for (index, grown) in nodes.enumerated() {
                        if tree[index].feature >= 0 {
                            tree[index].threshold = binning.thresholds[Int(tree[index].feature)][grown.bin]
                        } else {
                            tree[index].value *= parameters.learningRate
                            for position in grown.start..<grown.end { raw[Int(rowOrder[position]) * outputs + output] += tree[index].value }
                        }
                    }
                    for row in 0..<validation.rows {
                        validationRaw[row * outputs + output] += Self.binnedLeafValue(nodes, tree, binnedValidation, row: row, rows: validation.rows)
                    }
                    trees.append(tree)
                }
                trainingLoss.append(Loss.mean(raw: raw, targets: trainingTargets, task: task, outputs: outputs, rows: lossRows))
                guard stops else { continue }
                let loss = Loss.mean(raw: validationRaw, targets: validationTargets, task: task, outputs: outputs)
                validationLoss.append(loss)
                if loss < best.loss - parameters.tolerance { best = (loss, validationLoss.count) }
                if validationLoss.count - best.iterations >= parameters.iterationsWithoutChange { break }
            }
        }
        if stops { trees = Array(trees.prefix(best.iterations * outputs)) }
        let totalGain = gains.reduce(0, +)
        let model = BoostedTrees(
            outputs: outputs, baseline: baseline, trees: trees, featureImportances: gains.map { totalGain > 0 ? $0 / totalGain : 0 }
        )
        return Outcome(model: model, trainingLoss: trainingLoss, validationLoss: validationLoss)
    }

    /// The leaf a binned validation row reaches (bins compare as the thresholds do).
    private static func binnedLeafValue(
        _ grown: [TreeGrower.GrownNode], _ tree: [BoostedTrees.Node], _ binned: [UInt8], row: Int, rows: Int
    ) -> Double {
        var index = 0
        while tree[index].feature >= 0 {
            let node = tree[index]
            let bin = binned[Int(node.feature) * rows + row]
            let goesLeft = bin == FeatureBinning.missingBin ? node.missingGoesLeft : Int(bin) <= grown[index].bin
            index = Int(goesLeft ? node.left : node.right)
        }
        return tree[index].value
    }
}

/// The losses boosting minimises: squared error (halved), binary and multinomial log-loss.
enum Loss {
    /// The starting raw scores: the mean, the log-odds of the positive share, or the log of each class's share.
    static func baseline(_ targets: [Double], task: BoostingTask, outputs: Int) -> [Double] {
        let count = Double(targets.count)
        switch task {
        case .regression: return [targets.reduce(0, +) / count]
        case .binary:
            let share = min(max(targets.reduce(0, +) / count, 1e-12), 1 - 1e-12)
            return [log(share / (1 - share))]
        case .multiclass:
            var counts = [Double](repeating: 0, count: outputs)
            for target in targets { counts[Int(target)] += 1 }
            return counts.map { log(max($0, 1e-12) / count) }
        }
    }

    /// Gradients and hessians of output `output` at the current raw scores, side by side (`[g₀, h₀, g₁, h₁, …]`).
    /// Rows are split over the cores.
    static func derivatives(raw: [Double], targets: [Double], task: BoostingTask, outputs: Int, output: Int, into derivatives: inout [Double]) {
        derivatives.withUnsafeMutableBufferPointer { buffer in
            let target = SendableBuffer(buffer)
            _ = Parallel.map(count: targets.count, minimumPerPart: 32_768) { rows in
                for row in rows {
                    switch task {
                    case .regression:
                        target.buffer[2 * row] = raw[row] - targets[row]
                        target.buffer[2 * row + 1] = 1
                    case .binary:
                        let probability = LogisticRegression.sigmoid(raw[row])
                        target.buffer[2 * row] = probability - targets[row]
                        target.buffer[2 * row + 1] = max(probability * (1 - probability), 1e-16)
                    case .multiclass:
                        let probability = exp(raw[row * outputs + output] - logSumExp(raw, row: row, outputs: outputs))
                        target.buffer[2 * row] = probability - (Int(targets[row]) == output ? 1 : 0)
                        target.buffer[2 * row + 1] = max(probability * (1 - probability), 1e-16)
                    }
                }
                return 0
            }
        }
    }

    /// The mean loss at the raw scores, over `rows` (default all).
    static func mean(raw: [Double], targets: [Double], task: BoostingTask, outputs: Int, rows: StrideTo<Int>? = nil) -> Double {
        guard !targets.isEmpty else { return 0 }
        var total = 0.0
        var count = 0
        for row in rows ?? stride(from: 0, to: targets.count, by: 1) {
            count += 1
            switch task {
            case .regression:
                total += 0.5 * (raw[row] - targets[row]) * (raw[row] - targets[row])
            case .binary:
                let z = raw[row]
                total += (z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))) - targets[row] * z
            case .multiclass:
                total += logSumExp(raw, row: row, outputs: outputs) - raw[row * outputs + Int(targets[row])]
            }
        }
        return total / Double(count)
    }

    /// log Σₖ e^raw[row, k], without overflow.
    private static func logSumExp(_ raw: [Double], row: Int, outputs: Int) -> Double {
        let base = row * outputs
        var largest = -Double.infinity
        for index in 0..<outputs { largest = max(largest, raw[base + index]) }
        var sum = 0.0
        for index in 0..<outputs { sum += exp(raw[base + index] - largest) }
        return largest + log(sum)
    }
}

/// A deterministic generator (splitmix64) for the validation split.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x5eed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
