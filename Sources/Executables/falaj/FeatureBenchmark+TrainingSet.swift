import Foundation
import HTTPClient

/// The point-in-time training set: three groups with offline history, each ingested from an uploaded CSV dataset
/// (`POST …/feature-groups/:group/ingest`, not materialised: online rows play no part), an entity dataset uploaded as
/// CSV, then one timed `POST /api/v1/projects/bench/training-sets` joining `g1:*`, `g2:*`, `g3:*`. The result is
/// downloaded afterwards (untimed) and every row compared with ``TrainingSetData``'s expectation.
struct TrainingSetPhase {
    let api: BenchAPI
    let data: TrainingSetData

    private var projectPath: String { "/api/v1/projects/\(FeatureBenchmark.project)" }

    /// The parts of an upload's or a training set's answer the bench reads.
    struct VersionAnswer: Decodable {
        struct Column: Decodable {
            var name: String
            var type: String
        }

        struct Version: Decodable {
            var version: Int
            var columns: [Column]
            var rowCount: Int
            var rejectedCount: Int
            var sizeBytes: Int
        }

        var version: Version
    }

    /// The parts of an ingestion's answer the bench checks.
    struct IngestionAnswer: Decodable {
        var rows: Int
        var skippedRows: Int
    }

    func run() async throws -> BenchPhaseReport {
        var report = BenchPhaseReport()
        var historySeconds = 0.0
        for group in 0..<TrainingSetData.groups.count {
            let name = TrainingSetData.groups[group]
            let features = TrainingSetData.features(group).map { #"{"name":"\#($0.name)","type":"\#($0.type)"}"# }.joined(separator: ",")
            try await api.post(projectPath + "/feature-groups", json: #"{"name":"\#(name)","entity":"customer","features":[\#(features)]}"#)
            let upload = try await self.upload(name + "_history", data.historyCSV(group: group), rows: data.historyEntities * data.events)
            let began = ContinuousClock.now
            let body = try await api.post(projectPath + "/feature-groups/\(name)/ingest", json: #"{"dataset":"\#(name)_history","materialize":false}"#, expect: 200)
            historySeconds += (ContinuousClock.now - began).milliseconds / 1000
            let ingestion = try BenchAPI.decode(IngestionAnswer.self, from: body)
            guard ingestion.rows == upload.version.rowCount, ingestion.skippedRows == 0 else {
                throw BootstrapError(message: "ingesting \(name): \(ingestion.rows) rows written, \(ingestion.skippedRows) skipped; uploaded \(upload.version.rowCount)")
            }
        }
        let historyRows = data.historyEntities * data.events
        report.table.append((
            "offline history ingestion (dataset → offline store, \(historyRows) rows × 3 features per group, 3 groups)",
            String(format: "%.0f rows/s", Double(historyRows * 3) / historySeconds)
        ))

        let entityBegan = ContinuousClock.now
        let entities = try await upload("entity_rows", data.entityCSV(), rows: data.entityRows)
        let entitySeconds = (ContinuousClock.now - entityBegan).milliseconds / 1000
        report.table.append(("entity dataset upload (\(data.entityRows) rows × 3 columns)", String(format: "%.0f rows/s", Double(data.entityRows) / entitySeconds)))
        report.checks.append(
            "uploads stored every row: 3 × \(historyRows) history rows (all written to the offline store, none skipped), \(data.entityRows) entity rows ("
                + entities.version.columns.map { "\($0.name):\($0.type)" }.joined(separator: ", ") + ")."
        )

        // The timed request.
        let rssBefore = ProcessFigures.statusKiB("VmRSS")
        let peakReset = ProcessFigures.resetPeak()
        let cpuBefore = BenchCPU.now()
        let began = ContinuousClock.now
        let body = try await api.post(
            projectPath + "/training-sets", json: #"{"entity_dataset":"entity_rows","features":["g1:*","g2:*","g3:*"],"output":"training_set"}"#
        )
        let seconds = (ContinuousClock.now - began).milliseconds / 1000
        let cpu = BenchCPU.now() - cpuBefore
        let peak = ProcessFigures.statusKiB("VmHWM")
        let answer = try BenchAPI.decode(VersionAnswer.self, from: body)
        guard answer.version.rowCount == data.entityRows, answer.version.rejectedCount == 0 else {
            throw BootstrapError(message: "the training set holds \(answer.version.rowCount) rows (\(answer.version.rejectedCount) rejected); expected \(data.entityRows)")
        }
        report.table += [
            ("training set wall time (\(data.entityRows) entity rows × 3 groups × 3 features, point in time; history \(data.historyEntities) entities × \(data.events) events per group)", String(format: "%.2f s", seconds)),
            ("training set rate", String(format: "%.0f rows/s", Double(data.entityRows) / seconds)),
            ((peakReset ? "peak RSS of the process during the training set (VmHWM, reset before)" : "peak RSS of the process since it started (VmHWM; could not reset)"), String(format: "%.1f MB", peak / 1024)),
            ("RSS before the training set (VmRSS)", String(format: "%.1f MB", rssBefore / 1024)),
            ("CPU during the training set: server process", String(format: "%.2f s", cpu.process / 1000)),
            ("CPU during the training set: its Postgres", String(format: "%.2f s", cpu.postgres / 1000)),
        ]
        let verified = try await verify(version: answer.version.version)
        report.checks.append(
            "the training set's row_count is \(answer.version.rowCount); its download (\(String(format: "%.1f", Double(answer.version.sizeBytes) / 1e6)) MB) "
                + "has every row in order with each of the 9 features equal to the latest generated value at or before the row's time "
                + "(\(verified.joined) group joins found a value, \(verified.nulls) rightly null: before the first event or no history; "
                + "\(verified.boundary) rows' times equal to a g1 event time)."
        )
        return report
    }

    /// Creates dataset `name` and uploads `csv` as its first version; checks every row was stored.
    private func upload(_ name: String, _ csv: GeneratedRowsCSV, rows: Int) async throws -> VersionAnswer {
        try await api.post(projectPath + "/datasets", json: #"{"name":"\#(name)","description":"generated by falaj bench features"}"#)
        let body = try await api.upload(projectPath + "/datasets/\(name)/versions?filename=\(name).csv", contentType: "text/csv", body: csv)
        let answer = try BenchAPI.decode(VersionAnswer.self, from: body)
        guard answer.version.rowCount == rows, answer.version.rejectedCount == 0 else {
            throw BootstrapError(message: "the upload of \(name) stored \(answer.version.rowCount) rows, rejected \(answer.version.rejectedCount); expected \(rows)")
        }
        return answer
    }

    /// Streams the training set's CSV and compares every row with the expectation; throws on the first mismatches.
    private func verify(version: Int) async throws -> (joined: Int, nulls: Int, boundary: Int) {
        let url = api.base + projectPath + "/datasets/training_set/versions/\(version)/content"
        let data = self.data
        return try await api.client.execute(HTTPClientRequest(url: url, headers: api.headers(contentType: nil))) { head, body in
            guard head.status == 200 else { throw BootstrapError(message: "the training set's download answered \(head.status)") }
            var checker = TrainingSetChecker(data: data)
            var line: [UInt8] = []
            for try await chunk in body {
                var start = 0
                for (index, byte) in chunk.enumerated() where byte == 0x0A {
                    line.append(contentsOf: chunk[start..<index])
                    try checker.check(line)
                    line.removeAll(keepingCapacity: true)
                    start = index + 1
                }
                line.append(contentsOf: chunk[start...])
            }
            if !line.isEmpty { try checker.check(line) }
            guard checker.row == data.entityRows else { throw BootstrapError(message: "the download has \(checker.row) rows; expected \(data.entityRows)") }
            return (checker.joined, checker.nulls, checker.boundary)
        }
    }
}

/// Compares the training set's CSV lines, in order, with ``TrainingSetData``.
struct TrainingSetChecker {
    let data: TrainingSetData
    /// Data rows checked so far.
    private(set) var row = 0
    private(set) var joined = 0, nulls = 0, boundary = 0
    /// Column positions: the key, then per group the amount, count and tier.
    private var keyIndex = -1
    private var featureIndexes: [[Int]] = []
    private var sawHeader = false

    init(data: TrainingSetData) { self.data = data }

    mutating func check(_ line: [UInt8]) throws {
        var text = String(decoding: line, as: UTF8.self)
        if text.hasSuffix("\r") { text.removeLast() }
        let fields = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard sawHeader else {
            sawHeader = true
            guard let key = fields.firstIndex(of: "customer_id") else { throw BootstrapError(message: "the training set has no customer_id column: \(text)") }
            keyIndex = key
            featureIndexes = try (0..<TrainingSetData.groups.count).map { group in
                try TrainingSetData.features(group).map { feature in
                    guard let index = fields.firstIndex(of: feature.name) else { throw BootstrapError(message: "the training set has no column \(feature.name): \(text)") }
                    return index
                }
            }
            return
        }
        let expected = data.entityRow(row)
        guard fields.count > featureIndexes.joined().max()!, fields[keyIndex] == "c\(expected.entity)" else {
            throw BootstrapError(message: "training-set row \(row) is '\(text)'; expected the entity c\(expected.entity) first")
        }
        if expected.entity < data.historyEntities,
            (0..<data.events).contains(where: { data.eventTime(group: 0, entity: expected.entity, event: $0) == expected.asOf })
        {
            boundary += 1
        }
        for group in 0..<TrainingSetData.groups.count {
            let indexes = featureIndexes[group]
            let (amount, count, tier) = (fields[indexes[0]], fields[indexes[1]], fields[indexes[2]])
            guard let event = data.expectedEvent(group: group, entity: expected.entity, asOf: expected.asOf) else {
                guard amount.isEmpty, count.isEmpty, tier.isEmpty else {
                    throw BootstrapError(message: "training-set row \(row) (\(text)): \(TrainingSetData.groups[group]) should be empty (no event at or before its time)")
                }
                nulls += 1
                continue
            }
            let values = data.values(group: group, entity: expected.entity, event: event)
            guard let amountValue = Double(amount), abs(amountValue - Double(values.amountCents) / 100) < 1e-6, Int(count) == values.count,
                tier == TrainingSetData.tiers[values.tier]
            else {
                throw BootstrapError(
                    message: "training-set row \(row) (\(text)): \(TrainingSetData.groups[group]) should be event \(event) "
                        + "(\(Double(values.amountCents) / 100), \(values.count), \(TrainingSetData.tiers[values.tier]))"
                )
            }
            joined += 1
        }
        row += 1
    }
}
