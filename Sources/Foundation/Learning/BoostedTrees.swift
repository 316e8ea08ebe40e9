/// A fitted gradient-boosted tree ensemble: raw score = baseline + the sum of every tree's leaf for the row.
///
/// Regression predicts the raw score; binary classification's raw score is the log-odds of class 1; multi-class
/// keeps one raw score per class (one tree per class per iteration) and applies a softmax.
public struct BoostedTrees: Sendable, Equatable, Codable {
    /// One node of a tree, in an array where the root is element 0.
    public struct Node: Sendable, Equatable, Codable {
        /// The feature tested, or -1 for a leaf.
        public var feature: Int32
        /// Rows with the feature at most this go left.
        public var threshold: Double
        /// Where a missing (NaN) feature goes.
        public var missingGoesLeft: Bool
        /// Child indices (unused in a leaf).
        public var left: Int32
        /// Right child index.
        public var right: Int32
        /// The leaf's contribution to the raw score (learning rate applied).
        public var value: Double

        /// A leaf.
        static func leaf(_ value: Double) -> Node {
            Node(feature: -1, threshold: 0, missingGoesLeft: true, left: -1, right: -1, value: value)
        }
    }

    /// Raw scores per row: 1 (regression, binary) or the class count.
    public var outputs: Int
    /// The starting raw score of each output (the mean target, the prior log-odds or log-priors).
    public var baseline: [Double]
    /// Trees in order: iteration by iteration, `outputs` trees per iteration.
    public var trees: [[Node]]
    /// Each feature's share of the total split gain (sums to 1 when there is any split).
    public var featureImportances: [Double]

    /// The raw scores of one row of features.
    public func rawScores(_ row: UnsafeBufferPointer<Double>) -> [Double] {
        var scores = baseline
        for (index, tree) in trees.enumerated() {
            scores[index % outputs] += Self.leafValue(tree, row)
        }
        return scores
    }

    /// The leaf value `tree` gives `row`.
    @inline(__always)
    static func leafValue(_ tree: [Node], _ row: UnsafeBufferPointer<Double>) -> Double {
        tree.withUnsafeBufferPointer { nodes in
            var index = 0
            while true {
                let node = nodes[index]
                if node.feature < 0 { return node.value }
                let value = row[Int(node.feature)]
                let goesLeft = value.isNaN ? node.missingGoesLeft : value <= node.threshold
                index = Int(goesLeft ? node.left : node.right)
            }
        }
    }
}
