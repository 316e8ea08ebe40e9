import AgentProtocol
import BlockingPool
import Foundation
import Learning
import Tabular

/// `train.builtin`: downloads the run's dataset version with the job's token, checks its SHA-256, reads the CSV with
/// the version's column types, trains with ``TrainingPipeline`` on a thread of its own (never the cooperative pool)
/// and writes `model.falaj` and `report.json` to the output folder, which the agent uploads as the run's artifacts.
/// Held-out metrics are reported as metric events (step 0), the loss curves as series (one step per iteration), and
/// progress at each stage.
enum BuiltinTrainer {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func run(_ context: BuiltinJobContext) async throws {
        let job: BuiltinTrainingJob
        do {
            job = try JSONDecoder().decode(BuiltinTrainingJob.self, from: Data(context.job.specJSON.utf8))
        } catch {
            throw Failure(description: "the job's spec is not a train.builtin spec: \(error)")
        }
        let algorithm = (job.training.algorithm ?? .boostedTrees).rawValue
        context.log("training \(algorithm) to predict '\(job.training.target)' from dataset \(job.dataset.name) v\(job.dataset.version)")
        await context.progress(0.02)
        let inputPath = context.outputDirectory + "/../input.csv"
        let (size, sha256) = try await context.downloadInput(to: inputPath)
        guard sha256 == job.dataset.sha256 else {
            throw Failure(description: "the dataset arrived damaged: its SHA-256 is \(sha256), the version's is \(job.dataset.sha256)")
        }
        context.log("downloaded \(size) bytes of rows (SHA-256 verified)")
        await context.progress(0.1)

        let pool = BlockingPool(name: "falaj-train", threadCount: 1)
        defer { pool.shutdown() }
        let (rows, skipped) = try await pool.run { try readRows(path: inputPath, columns: job.columns) }
        context.log("read \(rows.count) rows\(skipped > 0 ? " (\(skipped) unreadable rows skipped)" : "") with \(job.columns.count) columns")
        await context.progress(0.2)
        let (model, report) = try await train(job, rows: rows, on: pool, context: context)
        for note in report.notes { context.log(note) }
        if !report.excluded.isEmpty {
            context.log("left out: " + report.excluded.map { "\($0.name) (\($0.reason))" }.joined(separator: ", "))
        }
        context.log(String(format: "fitted on %d rows in %.2f s; held-out %@", report.trainingRows, report.fitSeconds, summary(report.metrics)))
        await context.progress(0.9)

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let modelBytes = try model.encoded()
        let reportBytes = try encoder.encode(report)
        try await BlockingPoolWrite.write(Data(modelBytes), to: context.outputDirectory + "/" + BuiltinTrainingJob.modelFileName)
        try await BlockingPoolWrite.write(reportBytes, to: context.outputDirectory + "/" + BuiltinTrainingJob.reportFileName)
        for (name, curve) in report.lossCurves.sorted(by: { $0.key < $1.key }) {
            for (step, value) in curve.enumerated() where value.isFinite { await context.metric(name, step: step + 1, value: value) }
        }
        for (name, value) in report.metrics.sorted(by: { $0.key < $1.key }) where value.isFinite { await context.metric(name, value: value) }
        if let folds = report.crossValidation {
            await context.metric("cv_\(folds.metric)_mean", value: folds.mean)
            await context.metric("cv_\(folds.metric)_std", value: folds.standardDeviation)
        }
        await context.metric("fit_seconds", value: report.fitSeconds)
        context.log("wrote \(BuiltinTrainingJob.modelFileName) (\(modelBytes.count) bytes) and \(BuiltinTrainingJob.reportFileName)")
        await context.progress(1)
    }

    /// Fits on the pool's thread while this task reports progress (20% to 90% with the boosting iterations) every two
    /// seconds; cancelling the task (the job was cancelled or timed out) stops the fit at its next iteration.
    static func train(
        _ job: BuiltinTrainingJob, rows: [[TabularValue]], on pool: BlockingPool, context: BuiltinJobContext
    ) async throws -> (ModelFile, TrainingReport) {
        let monitor = TrainingMonitor()
        let fit = Task {
            await pool.run { () -> Result<(ModelFile, TrainingReport), TrainingError> in
                Result { () throws(TrainingError) in try TrainingPipeline.train(columns: job.columns, rows: rows, spec: job.training, monitor: monitor) }
            }
        }
        let outcome = await withTaskCancellationHandler {
            await withTaskGroup(of: Result<(ModelFile, TrainingReport), TrainingError>?.self) { group in
                group.addTask { await fit.value }
                group.addTask {
                    var reported = 0
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(2))
                        let (iteration, planned) = monitor.progress
                        if planned > 0, iteration > reported {
                            reported = iteration
                            await context.progress(0.2 + 0.7 * Double(iteration) / Double(planned))
                        }
                    }
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                if let first { return first }
                return await fit.value
            }
        } onCancel: {
            monitor.stop()
        }
        return try outcome.get()
    }

    /// The CSV's rows as typed values (blocking). Rows that do not convert are counted and skipped: a stored
    /// version is normalised, so there are none unless the file was damaged.
    static func readRows(path: String, columns: [Column]) throws -> ([[TabularValue]], Int) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Failure(description: "cannot open \(path)") }
        defer { try? handle.close() }
        var reader = CSVReader()
        var rows: [[TabularValue]] = []
        var skipped = 0
        var headerRead = false
        func drain() throws {
            if !headerRead {
                guard let event = try reader.next() else { return }
                guard case .header(let names) = event, names == columns.map(\.name) else {
                    throw Failure(description: "the dataset's header does not match its schema (\(columns.map(\.name).joined(separator: ",")))")
                }
                headerRead = true
            }
            while let event = try reader.nextValues(for: columns) {
                switch event {
                case .record(_, let values): rows.append(values)
                case .rejected: skipped += 1
                }
            }
        }
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            try reader.feed(chunk)
            try drain()
        }
        reader.finish()
        try drain()
        return (rows, skipped)
    }

    static func summary(_ metrics: [String: Double]) -> String {
        metrics.sorted { $0.key < $1.key }.map { String(format: "%@ %.4f", $0.key, $0.value) }.joined(separator: ", ")
    }
}
