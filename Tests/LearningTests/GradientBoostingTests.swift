import Foundation
import Tabular
import Testing

@testable import Learning

/// Histogram gradient boosting: a split found at its known optimum, missing values routed natively, non-linear
/// classes learnt, early stopping, and a saved ensemble predicting the same after loading.
@Suite struct GradientBoostingTests {
    private func stump() -> BoostingParameters {
        var parameters = BoostingParameters()
        parameters.learningRate = 1
        parameters.maximumIterations = 1
        parameters.maximumLeaves = 2
        parameters.minimumSamplesPerLeaf = 1
        parameters.earlyStopping = false
        return parameters
    }

    @Test func aStumpSplitsAtTheKnownOptimumAndItsLeavesAreTheSideMeans() {
        // y is 0 up to x = 50 and 10 above: the best split is between 50 and 51 (threshold 50.5), and with a learning
        // rate of 1 the two leaves move the baseline (the mean, 5) to each side's mean exactly.
        let x = Matrix((1...100).map { [Double($0)] })
        let targets = (1...100).map { $0 <= 50 ? 0.0 : 10 }
        let outcome = GradientBoosting.fit(x, targets: targets, task: .regression, parameters: stump())
        let tree = outcome.model.trees[0]
        #expect(outcome.model.baseline == [5])
        #expect(tree.count == 3 && tree[0].feature == 0 && tree[0].threshold == 50.5)
        #expect(tree[Int(tree[0].left)].value == -5 && tree[Int(tree[0].right)].value == 5)
        let predictions = x.values.map { value in [value].withUnsafeBufferPointer { outcome.model.rawScores($0)[0] } }
        #expect(predictions == targets)
        #expect(outcome.model.featureImportances == [1])
    }

    @Test func missingValuesGoToTheSideTheyResemble() {
        // Rows with a missing x all have the high target, so the split sends missing values right.
        var rows = (1...60).map { [Double($0)] }
        rows += Array(repeating: [Double.nan], count: 20)
        let targets = (1...60).map { $0 <= 30 ? 1.0 : 3 } + Array(repeating: 3.0, count: 20)
        let outcome = GradientBoosting.fit(Matrix(rows), targets: targets, task: .regression, parameters: stump())
        let root = outcome.model.trees[0][0]
        #expect(root.threshold == 30.5 && !root.missingGoesLeft)
        let missing = [Double.nan].withUnsafeBufferPointer { outcome.model.rawScores($0)[0] }
        #expect(abs(missing - 3) < 1e-12)
    }

    @Test func boostedTreesLearnClassesThatNoLineSeparates() {
        // Two interleaved classes (the sign of x·y): logistic regression is at chance, trees are not.
        var generator = SplitMix(seed: 5)
        let rows = 4_000
        var x = Matrix(rows: rows, columns: 3)
        var binary = [Double](repeating: 0, count: rows)
        var three = [Double](repeating: 0, count: rows)
        for row in 0..<rows {
            let a = Double.random(in: -1...1, using: &generator)
            let b = Double.random(in: -1...1, using: &generator)
            x[row, 0] = a
            x[row, 1] = b
            x[row, 2] = generator.normal()  // noise
            binary[row] = a * b > 0 ? 1 : 0
            three[row] = a < -0.33 ? 0 : (a < 0.33 ? 1 : 2)
        }
        let outcome = GradientBoosting.fit(x, targets: binary, task: .binary)
        let probabilities = (0..<rows).map { row in
            x.row(row).withUnsafeBufferPointer { features -> [Double] in
                let positive = LogisticRegression.sigmoid(outcome.model.rawScores(features)[0])
                return [1 - positive, positive]
            }
        }
        let metrics = ClassificationMetrics(labels: binary.map(Int.init), probabilities: probabilities, classCount: 2)
        #expect(metrics.accuracy > 0.95 && metrics.rocAUC! > 0.99)
        #expect(outcome.model.featureImportances[2] < 0.05)  // the noise column matters little
        let linear = LogisticRegression.fit(x, labels: binary.map(Int.init), classCount: 2)
        #expect(ClassificationMetrics(labels: binary.map(Int.init), probabilities: linear.probabilities(x), classCount: 2).accuracy < 0.65)

        let multi = GradientBoosting.fit(x, targets: three, task: .multiclass(classes: 3))
        #expect(multi.model.trees.count == 300 && multi.model.outputs == 3)
        let multiProbabilities = (0..<rows).map { row in x.row(row).withUnsafeBufferPointer { LogisticRegression.softmax(multi.model.rawScores($0)) } }
        #expect(ClassificationMetrics(labels: three.map(Int.init), probabilities: multiProbabilities, classCount: 3).accuracy > 0.98)
    }

    @Test func earlyStoppingEndsOnNoiseAndKeepsTheBestIterations() {
        var generator = SplitMix(seed: 9)
        let rows = 12_000
        var x = Matrix(rows: rows, columns: 2)
        var targets = [Double](repeating: 0, count: rows)
        for row in 0..<rows {
            x[row, 0] = generator.normal()
            x[row, 1] = generator.normal()
            targets[row] = generator.normal()  // nothing to learn
        }
        let outcome = GradientBoosting.fit(x, targets: targets, task: .regression)  // more than 10,000 rows: early stopping
        #expect(outcome.validationLoss.count < 100 && outcome.validationLoss.count == outcome.trainingLoss.count)
        let best = outcome.validationLoss.indices.min { outcome.validationLoss[$0] < outcome.validationLoss[$1] }!
        #expect(outcome.model.trees.count <= best + 1)
    }

    @Test func aSavedEnsemblePredictsTheSameAfterLoading() throws {
        let columns = [Column(name: "x", type: .float), Column(name: "plan", type: .category)]
        var generator = SplitMix(seed: 1)
        let rows: [[TabularValue]] = (0..<500).map { index in
            [index % 7 == 0 ? .null : .float(generator.normal()), .string(["free", "pro", "team"][index % 3])]
        }
        let labels = rows.map { row -> Double in
            if case .float(let value) = row[0], value > 0 { return 1 }
            if case .string("pro") = row[1] { return 1 }
            return 0
        }
        let preprocessor = Preprocessor.fit(columns: columns, rows: rows, style: .trees)
        let outcome = GradientBoosting.fit(preprocessor.transform(rows), targets: labels, task: .binary)
        let file = ModelFile(task: .binary, target: "bought", classes: ["no", "yes"], preprocessor: preprocessor, algorithm: .boostedTrees(outcome.model))
        let loaded = try ModelFile.decode(try file.encoded())
        for row in rows + [[.float(0.3), .string("enterprise")], [.null, .null]] {
            #expect(loaded.predict(row) == file.predict(row))
        }
        let accuracy = Double(zip(rows, labels).filter { file.predict($0.0).label == ($0.1 == 1 ? "yes" : "no") }.count) / Double(rows.count)
        #expect(accuracy > 0.95)
    }
}
