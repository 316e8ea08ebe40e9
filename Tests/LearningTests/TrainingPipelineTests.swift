import Foundation
import Tabular
import Testing

@testable import Learning

/// The whole built-in training: the defaults it picks from the data, held-out metrics, importances, cross-validation,
/// and the clear refusals of targets and specs it cannot use.
@Suite struct TrainingPipelineTests {
    /// `churned` depends on `usage` (strongly) and `plan`; `customer` is an identifier; a few targets are missing.
    static func churnTable(rows count: Int) -> ([Column], [[TabularValue]]) {
        let columns = [
            Column(name: "customer", type: .string), Column(name: "usage", type: .float), Column(name: "plan", type: .category),
            Column(name: "noise", type: .int), Column(name: "churned", type: .bool),
        ]
        var random = SplitMix(seed: 7)
        let rows = (0..<count).map { index -> [TabularValue] in
            let usage = Double.random(in: 0..<10, using: &random)
            let plan = ["free", "pro", "team"][Int.random(in: 0..<3, using: &random)]
            let score = 4 - usage + (plan == "free" ? 1.5 : 0) + random.normal() * 0.5
            let target: TabularValue = index % 50 == 7 ? .null : .bool(score > 0)
            return [.string("c-\(index)"), index % 20 == 3 ? .null : .float(usage), .string(plan), .int(Int64.random(in: 0..<100, using: &random)), target]
        }
        return (columns, rows)
    }

    @Test func theDefaultsPickBinaryBoostedTreesAndLeaveOutIdentifiers() throws {
        let (columns, rows) = Self.churnTable(rows: 2_000)
        let (model, report) = try TrainingPipeline.train(columns: columns, rows: rows, spec: TrainingSpec(target: "churned"))
        #expect(report.task == .binary && report.algorithm == .boostedTrees && model.classes == ["false", "true"])
        #expect(report.excluded.map(\.name) == ["customer"])
        #expect(report.features.map(\.name) == ["usage", "plan", "noise"])
        #expect(report.rowsWithoutTarget == 40 && report.trainingRows + report.validationRows == 1_960)
        #expect(report.validationRows == 392)
        #expect(try #require(report.metrics["roc_auc"]) > 0.9, "\(report.metrics)")
        #expect(report.confusion?.flatMap { $0 }.reduce(0, +) == report.validationRows)
        #expect(report.featureImportances.first?.name == "usage")
        #expect(abs(report.featureImportances.reduce(0) { $0 + $1.importance } - 1) < 1e-9)
        #expect(report.lossCurves["training_loss"]?.count == report.iterations)
        // The same seed gives the same model; the saved file predicts what the model predicts.
        let again = try TrainingPipeline.train(columns: columns, rows: rows, spec: TrainingSpec(target: "churned"))
        #expect(try again.model.encoded() == model.encoded(), "same seed, same model file")
        let loaded = try ModelFile.decode(try model.encoded())
        let features: [TabularValue] = [.float(1.5), .string("free"), .int(3)]
        #expect(loaded.predict(features) == model.predict(features))
    }

    @Test func ridgeRecoversALineAndReportsRegressionMetrics() throws {
        let columns = [Column(name: "x", type: .float), Column(name: "y", type: .float)]
        var random = SplitMix(seed: 3)
        let rows = (0..<500).map { _ -> [TabularValue] in
            let x = Double.random(in: -5..<5, using: &random)
            return [.float(x), .float(2 * x + 1 + random.normal() * 0.01)]
        }
        let (model, report) = try TrainingPipeline.train(columns: columns, rows: rows, spec: TrainingSpec(target: "y", algorithm: .ridge, regularization: 1e-6))
        #expect(report.task == .regression && report.confusion == nil)
        #expect(try #require(report.metrics["r2"]) > 0.9999 && report.metrics["rmse"]! < 0.02)
        #expect(abs(model.predict([.float(3)]).value - 7) < 0.01)
    }

    @Test func multiClassLogisticWithCrossValidation() throws {
        let columns = [Column(name: "a", type: .float), Column(name: "b", type: .float), Column(name: "kind", type: .int)]
        var random = SplitMix(seed: 11)
        let centres = [(0.0, 0.0), (4.0, 0.0), (0.0, 4.0)]
        let rows = (0..<600).map { index -> [TabularValue] in
            let (x, y) = centres[index % 3]
            return [.float(x + random.normal()), .float(y + random.normal()), .int(Int64(index % 3 + 1))]
        }
        let spec = TrainingSpec(target: "kind", algorithm: .logistic, crossValidationFolds: 3)
        let (model, report) = try TrainingPipeline.train(columns: columns, rows: rows, spec: spec)
        #expect(report.task == .multiclass && model.classes == ["1", "2", "3"])
        #expect(try #require(report.metrics["accuracy"]) > 0.9)
        let folds = try #require(report.crossValidation)
        #expect(folds.folds == 3 && folds.metric == "accuracy" && folds.mean > 0.9 && folds.standardDeviation < 0.05)
    }

    @Test func unusableTargetsAndSpecsAreRefusedNamingTheField() {
        let (columns, rows) = Self.churnTable(rows: 100)
        func refusal(_ spec: TrainingSpec, rows: [[TabularValue]] = rows, columns: [Column] = columns) -> TrainingError? {
            do {
                _ = try TrainingPipeline.train(columns: columns, rows: rows, spec: spec)
                return nil
            } catch { return error }
        }
        #expect(refusal(TrainingSpec(target: "churn"))?.message.contains("no column 'churn'") == true)
        #expect(refusal(TrainingSpec(target: "churned", algorithm: .ridge))?.field == "algorithm")
        #expect(refusal(TrainingSpec(target: "usage", algorithm: .logistic))?.field == "algorithm")
        #expect(refusal(TrainingSpec(target: "plan", task: .regression))?.field == "task")
        #expect(refusal(TrainingSpec(target: "churned", validationFraction: 0.9))?.field == "validation_fraction")
        #expect(refusal(TrainingSpec(target: "churned"), rows: Array(rows.prefix(5)))?.field == "rows")
        let same = rows.map { row in Array(row.dropLast()) + [.bool(true)] }
        #expect(refusal(TrainingSpec(target: "churned"), rows: same)?.message.contains("at least two classes") == true)
        #expect(refusal(TrainingSpec(target: "churned", excludedColumns: ["usage", "plan", "noise"]))?.field == "excluded_columns")
    }

    @Test func aSpecDecodesFromJobJSONWithScikitLearnNames() throws {
        let json = #"{"target": "churned", "algorithm": "boosted_trees", "boosting": {"max_iter": 50, "learning_rate": 0.2, "early_stopping": true}}"#
        let spec = try JSONDecoder().decode(TrainingSpec.self, from: Data(json.utf8))
        #expect(spec.target == "churned" && spec.validationFraction == 0.2 && spec.seed == 42)
        #expect(spec.boosting?.maximumIterations == 50 && spec.boosting?.learningRate == 0.2 && spec.boosting?.earlyStopping == true)
        #expect(spec.boosting?.maximumLeaves == 31)
        let bad = #"{"target": "churned", "boosting": {"max_iter": 0}}"#
        #expect(try JSONDecoder().decode(TrainingSpec.self, from: Data(bad.utf8)).problems["boosting.max_iter"] != nil)
    }

    @Test func aMonitorFollowsTheIterationsAndStopsTheTraining() throws {
        let (columns, rows) = Self.churnTable(rows: 500)
        var parameters = BoostingParameters()
        parameters.earlyStopping = false
        parameters.maximumIterations = 30
        let monitor = TrainingMonitor()
        let (_, report) = try TrainingPipeline.train(columns: columns, rows: rows, spec: TrainingSpec(target: "churned", boosting: parameters), monitor: monitor)
        #expect(report.iterations == 30 && monitor.progress == (30, 30))
        let stopped = TrainingMonitor()
        stopped.stop()
        #expect(throws: TrainingError(field: "cancelled", "The training was stopped")) {
            _ = try TrainingPipeline.train(columns: columns, rows: rows, spec: TrainingSpec(target: "churned"), monitor: stopped)
        }
        #expect(stopped.progress.iteration == 0, "no iteration ran after the stop")
    }
}
