/// Grows one regression tree on binned features from per-row gradients and hessians, leaf-wise (always splitting the
/// leaf whose best split gains most), as LightGBM and scikit-learn's histogram gradient boosting do.
///
/// Each leaf keeps a histogram per feature (sums of gradients and hessians and a count per bin); a split's gain is
/// `G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)`. Of two children only the smaller one's histogram is built from its rows;
/// the larger one's is the parent's minus it. Rows with a missing value try both sides and go where the gain is larger.
/// Histograms are built on every core, a share of the features each.
struct TreeGrower {
    /// One bin's sums.
    struct Bin {
        var gradient = 0.0
        var hessian = 0.0
        var count = 0
    }

    /// A chosen split of a leaf.
    struct Split {
        var gain: Double
        var feature: Int
        var bin: Int
        var missingGoesLeft: Bool
    }

    /// A leaf that may still be split.
    private struct Leaf {
        var node: Int
        var start: Int
        var end: Int
        var depth: Int
        var histogram: [Bin]
        var gradient: Double
        var hessian: Double
        var split: Split?
    }

    /// Histogram buffers kept between nodes and trees, so growing does not allocate (and fault in) a fresh one per node.
    final class Pool {
        fileprivate var free: [[Bin]] = []

        /// A zeroed histogram of `count` bins.
        fileprivate func take(_ count: Int) -> [Bin] {
            guard var buffer = free.popLast() else { return [Bin](repeating: Bin(), count: count) }
            buffer.withUnsafeMutableBufferPointer { bins in
                for index in bins.indices { bins[index] = Bin() }
            }
            return buffer
        }

        fileprivate func give(_ buffer: inout [Bin]) {
            if !buffer.isEmpty { free.append(buffer) }
            buffer = []
        }
    }

    /// A grown node: the model's node plus the bin threshold used while training.
    struct GrownNode {
        var node: BoostedTrees.Node
        var bin: Int
        var start: Int
        var end: Int
    }

    let binned: UnsafeBufferPointer<UInt8>
    let rowCount: Int
    let binCounts: [Int]
    let parameters: BoostingParameters

    private var featureCount: Int { binCounts.count }
    private static let histogramWidth = 256
    private static let minimumHessian = 1e-3

    /// Grows a tree over the training rows listed in `rows` (reordered in place so each leaf's rows are contiguous).
    /// Returns the nodes (leaf values not yet scaled: −G/(H+λ)) and each split's gain by feature.
    func grow(
        rows: UnsafeMutableBufferPointer<Int32>, derivatives: UnsafeBufferPointer<Double>,
        gains: inout [Double], pool: Pool
    ) -> [GrownNode] {
        var gradient = 0.0
        var hessian = 0.0
        for row in rows {
            gradient += derivatives[2 * Int(row)]
            hessian += derivatives[2 * Int(row) + 1]
        }
        var nodes = [GrownNode(node: .leaf(0), bin: 0, start: 0, end: rows.count)]
        var root = Leaf(
            node: 0, start: 0, end: rows.count, depth: 0, histogram: histogram(rows, 0, rows.count, derivatives, pool),
            gradient: gradient, hessian: hessian
        )
        root.split = bestSplit(root)
        var open = [root]
        var leafCount = 1
        var scratch = [Int32](repeating: 0, count: rows.count)
        while leafCount < parameters.maximumLeaves {
            guard let chosen = open.indices.filter({ open[$0].split != nil }).max(by: { open[$0].split!.gain < open[$1].split!.gain }) else { break }
            var leaf = open.remove(at: chosen)
            let split = leaf.split!
            gains[split.feature] += split.gain
            let middle = partition(rows, &scratch, leaf, split)
            var left = Leaf(node: nodes.count, start: leaf.start, end: middle, depth: leaf.depth + 1, histogram: [], gradient: 0, hessian: 0)
            var right = Leaf(node: nodes.count + 1, start: middle, end: leaf.end, depth: leaf.depth + 1, histogram: [], gradient: 0, hessian: 0)
            // The smaller child's histogram is built; the larger one takes over the parent's buffer, minus the smaller.
            if middle - leaf.start <= leaf.end - middle {
                left.histogram = histogram(rows, left.start, left.end, derivatives, pool)
                swap(&right.histogram, &leaf.histogram)
                Self.subtract(left.histogram, from: &right.histogram)
            } else {
                right.histogram = histogram(rows, right.start, right.end, derivatives, pool)
                swap(&left.histogram, &leaf.histogram)
                Self.subtract(right.histogram, from: &left.histogram)
            }
            let leftSums = Self.totals(left.histogram, feature: 0)
            (left.gradient, left.hessian) = (leftSums.gradient, leftSums.hessian)
            (right.gradient, right.hessian) = (leaf.gradient - left.gradient, leaf.hessian - left.hessian)
            nodes[leaf.node].node = BoostedTrees.Node(
                feature: Int32(split.feature), threshold: 0, missingGoesLeft: split.missingGoesLeft, left: Int32(left.node), right: Int32(right.node), value: 0
            )
            nodes[leaf.node].bin = split.bin
            nodes.append(GrownNode(node: .leaf(0), bin: 0, start: left.start, end: left.end))
            nodes.append(GrownNode(node: .leaf(0), bin: 0, start: right.start, end: right.end))
            leafCount += 1
            for var child in [left, right] {
                child.split = bestSplit(child)
                if child.split == nil { pool.give(&child.histogram) }  // a leaf for good: its histogram is not needed
                open.append(child)
            }
        }
        let lambda = parameters.l2Regularization
        for index in open.indices {
            nodes[open[index].node].node.value = -open[index].gradient / (open[index].hessian + lambda)
            pool.give(&open[index].histogram)
        }
        return nodes
    }

    /// The histogram of rows `start..<end`: the rows' gradients and hessians are gathered once (at the root, whose
    /// rows are all rows in order, they are read as they are), then each core sums a share of the features.
    private func histogram(
        _ rows: UnsafeMutableBufferPointer<Int32>, _ start: Int, _ end: Int, _ derivatives: UnsafeBufferPointer<Double>, _ pool: Pool
    ) -> [Bin] {
        let count = end - start
        let isRoot = start == 0 && count == rowCount
        var ordered = isRoot ? Array(derivatives) : [Double](repeating: 0, count: 2 * count)
        if !isRoot {
            for index in 0..<count {
                let row = Int(rows[start + index])
                ordered[2 * index] = derivatives[2 * row]
                ordered[2 * index + 1] = derivatives[2 * row + 1]
            }
        }
        var result = pool.take(featureCount * Self.histogramWidth)
        let width = Self.histogramWidth
        let rowCount = self.rowCount
        let binned = self.binned
        result.withUnsafeMutableBufferPointer { output in
            let target = SendableBuffer(output)
            ordered.withUnsafeBufferPointer { ordered in
                _ = Parallel.map(count: featureCount, minimumPerPart: count >= 20_000 ? 1 : featureCount) { features in
                    for feature in features {
                        let bins = target.buffer.baseAddress! + feature * width
                        let column = binned.baseAddress! + feature * rowCount
                        for index in 0..<count {
                            let bin = Int(isRoot ? column[index] : column[Int(rows[start + index])])
                            bins[bin].gradient += ordered[2 * index]
                            bins[bin].hessian += ordered[2 * index + 1]
                            bins[bin].count += 1
                        }
                    }
                    return 0
                }
            }
        }
        return result
    }

    /// `histogram` minus `child`, bin by bin, in place.
    private static func subtract(_ child: [Bin], from histogram: inout [Bin]) {
        histogram.withUnsafeMutableBufferPointer { bins in
            child.withUnsafeBufferPointer { child in
                for index in bins.indices {
                    bins[index].gradient -= child[index].gradient
                    bins[index].hessian -= child[index].hessian
                    bins[index].count -= child[index].count
                }
            }
        }
    }

    /// The sums over every bin of one feature (any feature: each row is in one bin of each).
    private static func totals(_ histogram: [Bin], feature: Int) -> Bin {
        var total = Bin()
        for bin in histogram[(feature * histogramWidth)..<((feature + 1) * histogramWidth)] {
            total.gradient += bin.gradient
            total.hessian += bin.hessian
            total.count += bin.count
        }
        return total
    }

    /// The best split of `leaf` over every feature, or nil when none is allowed or none gains.
    private func bestSplit(_ leaf: Leaf) -> Split? {
        let count = leaf.end - leaf.start
        let minimum = parameters.minimumSamplesPerLeaf
        guard count >= 2 * minimum, parameters.maximumDepth.map({ leaf.depth < $0 }) ?? true else { return nil }
        let lambda = parameters.l2Regularization
        let parentScore = leaf.gradient * leaf.gradient / (leaf.hessian + lambda)
        var best: Split?
        for feature in 0..<featureCount {
            let base = feature * Self.histogramWidth
            let missing = leaf.histogram[base + Int(FeatureBinning.missingBin)]
            var left = Bin()
            for bin in 0..<(binCounts[feature] - 1) {
                let current = leaf.histogram[base + bin]
                left.gradient += current.gradient
                left.hessian += current.hessian
                left.count += current.count
                // Missing values (if any) tried on the right, then on the left.
                for missingLeft in 0..<(missing.count > 0 ? 2 : 1) {
                    var l = left
                    if missingLeft == 1 {
                        l.gradient += missing.gradient
                        l.hessian += missing.hessian
                        l.count += missing.count
                    }
                    let rightCount = count - l.count
                    let rightHessian = leaf.hessian - l.hessian
                    guard l.count >= minimum, rightCount >= minimum, l.hessian >= Self.minimumHessian, rightHessian >= Self.minimumHessian else { continue }
                    let rightGradient = leaf.gradient - l.gradient
                    let gain = l.gradient * l.gradient / (l.hessian + lambda) + rightGradient * rightGradient / (rightHessian + lambda) - parentScore
                    if gain > (best?.gain ?? 1e-12) {
                        // Without missing values in training, an unseen missing value follows the larger side.
                        let missingGoesLeft = missing.count > 0 ? missingLeft == 1 : l.count >= rightCount
                        best = Split(gain: gain, feature: feature, bin: bin, missingGoesLeft: missingGoesLeft)
                    }
                }
            }
        }
        return best
    }

    /// Reorders the leaf's rows so those going left come first; returns where the right ones start.
    private func partition(_ rows: UnsafeMutableBufferPointer<Int32>, _ scratch: inout [Int32], _ leaf: Leaf, _ split: Split) -> Int {
        let column = binned.baseAddress! + split.feature * rowCount
        var leftEnd = leaf.start
        var rightCount = 0
        for index in leaf.start..<leaf.end {
            let row = rows[index]
            let bin = column[Int(row)]
            let goesLeft = bin == FeatureBinning.missingBin ? split.missingGoesLeft : Int(bin) <= split.bin
            if goesLeft {
                rows[leftEnd] = row
                leftEnd += 1
            } else {
                scratch[rightCount] = row
                rightCount += 1
            }
        }
        for index in 0..<rightCount { rows[leftEnd + index] = scratch[index] }
        return leftEnd
    }
}
