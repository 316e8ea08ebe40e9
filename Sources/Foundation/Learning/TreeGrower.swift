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
        rows: UnsafeMutableBufferPointer<Int32>, gradients: UnsafeBufferPointer<Double>, hessians: UnsafeBufferPointer<Double>,
        gains: inout [Double]
    ) -> [GrownNode] {
        var gradient = 0.0
        var hessian = 0.0
        for row in rows {
            gradient += gradients[Int(row)]
            hessian += hessians[Int(row)]
        }
        var nodes = [GrownNode(node: .leaf(0), bin: 0, start: 0, end: rows.count)]
        var root = Leaf(
            node: 0, start: 0, end: rows.count, depth: 0, histogram: histogram(rows, 0, rows.count, gradients, hessians),
            gradient: gradient, hessian: hessian
        )
        root.split = bestSplit(root)
        var open = [root]
        var leafCount = 1
        var scratch = [Int32](repeating: 0, count: rows.count)
        while leafCount < parameters.maximumLeaves {
            guard let chosen = open.indices.filter({ open[$0].split != nil }).max(by: { open[$0].split!.gain < open[$1].split!.gain }) else { break }
            let leaf = open.remove(at: chosen)
            let split = leaf.split!
            gains[split.feature] += split.gain
            let middle = partition(rows, &scratch, leaf, split)
            var left = Leaf(node: nodes.count, start: leaf.start, end: middle, depth: leaf.depth + 1, histogram: [], gradient: 0, hessian: 0)
            var right = Leaf(node: nodes.count + 1, start: middle, end: leaf.end, depth: leaf.depth + 1, histogram: [], gradient: 0, hessian: 0)
            if middle - leaf.start <= leaf.end - middle {
                left.histogram = histogram(rows, left.start, left.end, gradients, hessians)
                right.histogram = Self.subtract(leaf.histogram, left.histogram)
            } else {
                right.histogram = histogram(rows, right.start, right.end, gradients, hessians)
                left.histogram = Self.subtract(leaf.histogram, right.histogram)
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
            left.split = bestSplit(left)
            right.split = bestSplit(right)
            open.append(left)
            open.append(right)
        }
        let lambda = parameters.l2Regularization
        for leaf in open {
            nodes[leaf.node].node.value = -leaf.gradient / (leaf.hessian + lambda)
        }
        return nodes
    }

    /// The histogram of rows `start..<end`: the rows' gradients and hessians are gathered once, then each core
    /// sums a share of the features.
    private func histogram(
        _ rows: UnsafeMutableBufferPointer<Int32>, _ start: Int, _ end: Int, _ gradients: UnsafeBufferPointer<Double>,
        _ hessians: UnsafeBufferPointer<Double>
    ) -> [Bin] {
        let count = end - start
        var orderedGradients = [Double](repeating: 0, count: count)
        var orderedHessians = [Double](repeating: 0, count: count)
        for index in 0..<count {
            let row = Int(rows[start + index])
            orderedGradients[index] = gradients[row]
            orderedHessians[index] = hessians[row]
        }
        var result = [Bin](repeating: Bin(), count: featureCount * Self.histogramWidth)
        let width = Self.histogramWidth
        let rowCount = self.rowCount
        let binned = self.binned
        result.withUnsafeMutableBufferPointer { output in
            let target = SendableBuffer(output)
            orderedGradients.withUnsafeBufferPointer { orderedGradients in
                orderedHessians.withUnsafeBufferPointer { orderedHessians in
                    _ = Parallel.map(count: featureCount, minimumPerPart: count >= 20_000 ? 1 : featureCount) { features in
                        for feature in features {
                            let bins = target.buffer.baseAddress! + feature * width
                            let column = binned.baseAddress! + feature * rowCount
                            for index in 0..<count {
                                let bin = Int(column[Int(rows[start + index])])
                                bins[bin].gradient += orderedGradients[index]
                                bins[bin].hessian += orderedHessians[index]
                                bins[bin].count += 1
                            }
                        }
                        return 0
                    }
                }
            }
        }
        return result
    }

    private static func subtract(_ parent: [Bin], _ child: [Bin]) -> [Bin] {
        var result = parent
        for index in result.indices {
            result[index].gradient -= child[index].gradient
            result[index].hessian -= child[index].hessian
            result[index].count -= child[index].count
        }
        return result
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
                for missingLeft in missing.count > 0 ? [false, true] : [false] {
                    var l = left
                    if missingLeft {
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
                        let missingGoesLeft = missing.count > 0 ? missingLeft : l.count >= rightCount
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
