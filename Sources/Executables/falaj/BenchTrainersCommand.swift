import ArgumentParser
import Foundation
import Learning
import Tabular

/// `falaj bench trainers`: the built-in trainers on the datasets `bench/trainers_sklearn.py` wrote (the same train and
/// test splits scikit-learn used), for the side-by-side comparison in BENCHMARKS.md. For each dataset it fits the
/// linear model (logistic or ridge) and boosted trees, timing the preprocessing and the fit (wall clock, every core),
/// scores the test split (accuracy and ROC AUC, or R²), and times single-row predictions of a 100-tree ensemble.
/// Runs on the main thread (the trainers block their thread). Not a test: figures depend on the machine.
struct BenchTrainersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trainers",
        abstract: "Benchmark the built-in trainers on the splits bench/trainers_sklearn.py wrote (fit time, test metrics, prediction time)."
    )

    @Option(help: "The folder with manifest.json and the <dataset>-train.csv / -test.csv files.") var data: String
    @Option(help: "Where to write the results as JSON (default <data>/falaj.json).") var output: String?

    func run() throws {
        let directory = URL(fileURLWithPath: data)
        let manifest = try JSONDecoder().decode([TrainerDataset].self, from: Data(contentsOf: directory.appendingPathComponent("manifest.json")))
        var results: [TrainerResult] = []
        for dataset in manifest {
            let train = try TrainerTable(file: directory.appendingPathComponent("\(dataset.name)-train.csv"), task: dataset.task)
            let test = try TrainerTable(file: directory.appendingPathComponent("\(dataset.name)-test.csv"), task: dataset.task)
            for algorithm in dataset.task == "regression" ? ["ridge", "boosted_trees"] : ["logistic", "boosted_trees"] {
                let result = try TrainerBenchmark.fitAndScore(dataset: dataset, algorithm: algorithm, train: train, test: test)
                results.append(result)
                FileHandle.standardError.write(Data("[falaj] \(dataset.name) \(algorithm): \(result)\n".utf8))
            }
            if dataset.name == "synthetic" {
                results.append(TrainerBenchmark.predictionLatency(train: train))
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(results).write(to: URL(fileURLWithPath: output ?? directory.appendingPathComponent("falaj.json").path))
    }
}

/// One dataset of the manifest.
struct TrainerDataset: Decodable {
    var name: String
    var task: String
    var classes: Int
}

/// One measured fit (or, with `algorithm` "predict_100_trees", the prediction latency in `microsecondsPerRow`).
struct TrainerResult: Codable, CustomStringConvertible {
    var dataset: String
    var algorithm: String
    var fitSeconds: Double?
    var accuracy: Double?
    var auc: Double?
    var r2: Double?
    var microsecondsPerRow: Double?

    enum CodingKeys: String, CodingKey {
        case dataset, algorithm, accuracy, auc, r2
        case fitSeconds = "fit_seconds", microsecondsPerRow = "microseconds_per_row"
    }

    var description: String {
        [("fit", fitSeconds.map { String(format: "%.3f s", $0) }), ("accuracy", accuracy.map { String(format: "%.4f", $0) }),
         ("auc", auc.map { String(format: "%.4f", $0) }), ("r2", r2.map { String(format: "%.4f", $0) }),
         ("predict", microsecondsPerRow.map { String(format: "%.2f µs/row", $0) })]
            .compactMap { name, value in value.map { "\(name) \($0)" } }.joined(separator: ", ")
    }
}

/// A split read from its CSV: the feature columns as typed values and the target.
struct TrainerTable {
    var columns: [Column]
    var rows: [[TabularValue]]
    var targets: [Double]

    init(file: URL, task: String) throws {
        let text = try String(contentsOf: file, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        let header = lines.removeFirst().split(separator: ",").map(String.init)
        columns = header.dropLast().map { Column(name: $0, type: .float) }
        rows = []
        targets = []
        rows.reserveCapacity(lines.count)
        for line in lines {
            let fields = line.split(separator: ",")
            guard fields.count == header.count, let target = Double(fields.last!) else {
                throw ValidationError("\(file.lastPathComponent): a row with \(fields.count) fields where the header has \(header.count)")
            }
            rows.append(fields.dropLast().map { Double($0).map(TabularValue.float) ?? .null })
            targets.append(target)
        }
    }
}

enum TrainerBenchmark {
    /// Fits `algorithm` on `train` (preprocessing included in the time) and scores `test`.
    static func fitAndScore(dataset: TrainerDataset, algorithm: String, train: TrainerTable, test: TrainerTable) throws -> TrainerResult {
        let style: Preprocessor.Style = algorithm == "boosted_trees" ? .trees : .linear
        let start = ContinuousClock.now
        let preprocessor = Preprocessor.fit(columns: train.columns, rows: train.rows, style: style)
        let x = preprocessor.transform(train.rows)
        let classCount = max(2, dataset.classes)
        let task: BoostingTask = dataset.task == "regression" ? .regression : dataset.task == "binary" ? .binary : .multiclass(classes: classCount)
        let algorithmFile: ModelFile.Algorithm
        switch algorithm {
        case "logistic": algorithmFile = .logistic(LogisticRegression.fit(x, labels: train.targets.map { Int($0) }, classCount: classCount))
        case "ridge": algorithmFile = .ridge(try RidgeRegression.fit(x, train.targets, alpha: 1))
        default: algorithmFile = .boostedTrees(GradientBoosting.fit(x, targets: train.targets, task: task).model)
        }
        let seconds = Double((ContinuousClock.now - start).components.attoseconds) / 1e18 + Double((ContinuousClock.now - start).components.seconds)
        let classes = (0..<classCount).map(String.init)
        let model = ModelFile(
            task: dataset.task == "regression" ? .regression : dataset.task == "binary" ? .binary : .multiclass, target: "target",
            classes: dataset.task == "regression" ? [] : classes, preprocessor: preprocessor, algorithm: algorithmFile
        )
        let predictions = test.rows.map(model.predict)
        var result = TrainerResult(dataset: dataset.name, algorithm: algorithm, fitSeconds: seconds)
        if dataset.task == "regression" {
            result.r2 = RegressionMetrics(targets: test.targets, predictions: predictions.map(\.value)).r2
        } else {
            let metrics = ClassificationMetrics(labels: test.targets.map { Int($0) }, probabilities: predictions.map(\.probabilities), classCount: classCount)
            result.accuracy = metrics.accuracy
            result.auc = metrics.rocAUC
        }
        return result
    }

    /// Single-row predictions (preprocessing included) of a 100-tree ensemble fitted on the first 100,000 rows.
    static func predictionLatency(train: TrainerTable) -> TrainerResult {
        let rows = Array(train.rows.prefix(100_000))
        let preprocessor = Preprocessor.fit(columns: train.columns, rows: rows, style: .trees)
        var parameters = BoostingParameters()
        parameters.earlyStopping = false
        let trees = GradientBoosting.fit(preprocessor.transform(rows), targets: Array(train.targets.prefix(rows.count)), task: .binary, parameters: parameters)
        let model = ModelFile(task: .binary, target: "target", classes: ["0", "1"], preprocessor: preprocessor, algorithm: .boostedTrees(trees.model))
        var checksum = 0.0
        let start = ContinuousClock.now
        for row in rows { checksum += model.predict(row).value }
        let elapsed = ContinuousClock.now - start
        let microseconds = (Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12) / Double(rows.count)
        precondition(checksum.isFinite && trees.model.trees.count == 100)
        return TrainerResult(dataset: "synthetic", algorithm: "predict_100_trees", microsecondsPerRow: microseconds)
    }
}
