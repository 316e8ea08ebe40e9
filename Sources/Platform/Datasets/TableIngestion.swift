import FalajCrypto
public import Tabular

/// What to do with a row that does not fit the schema.
public enum RowErrorPolicy: String, Sendable, CaseIterable {
    /// Refuse the whole upload; nothing is stored (the default).
    case reject
    /// Leave the row out and keep the others; the version records how many were left out and why.
    case skip
}

/// How an upload is read.
public struct IngestionSettings: Sendable {
    /// CSV or JSON lines.
    public var format: TableFormat
    /// Types the user gave for some columns (`age:int,plan:category`); the others are inferred.
    public var overrides: SchemaOverrides?
    /// Reject the upload or skip bad rows.
    public var onError: RowErrorPolicy
    /// Rows read before the schema is chosen (types are inferred from them). Default 1,000.
    public var sampleRows: Int
    /// Field bytes read before the schema is chosen, whatever the row count, so wide rows do not pile up. Default 8 MiB.
    public var sampleBytes: Int

    /// Creates settings with the defaults above.
    public init(format: TableFormat, overrides: SchemaOverrides? = nil, onError: RowErrorPolicy = .reject, sampleRows: Int = 1_000, sampleBytes: Int = 8 << 20) {
        self.format = format
        self.overrides = overrides
        self.onError = onError
        self.sampleRows = sampleRows
        self.sampleBytes = sampleBytes
    }
}

/// What an ingestion produced, once its input ended.
struct IngestionOutcome: Sendable {
    var columns: [Column]
    var rowCount: Int64
    var rejectedCount: Int64
    var rejections: [RowRejection]
    var preview: [[String?]]
    var statistics: [NamedColumnStatistics]
    var uploadedBytes: Int64
    var storedBytes: Int64
    var sha256: String
}

/// Turns an uploaded CSV or JSON-lines file, chunk by chunk, into the dataset's normalised CSV (header plus the accepted
/// rows in canonical form), checking every value against the schema and keeping statistics, a preview and the
/// rejected rows on the way. Memory stays bounded: the readers hold at most one record plus one chunk, the schema
/// sample at most ``IngestionSettings/sampleRows`` rows or ``IngestionSettings/sampleBytes``, the statistics are sketches.
///
/// Not `Sendable`-shared: one upload task drives it.
struct TableIngestion {
    private let settings: IngestionSettings
    private var csv = CSVReader()
    private var jsonLines = JSONLinesReader()
    private var header: [String]?
    private var inference: SchemaInference?
    private var sample: [Sampled] = []
    private var sampleBytes = 0
    private var columns: [Column]?
    private var writer: CSVWriter?
    private var statistics: TableStatistics?
    /// When the caller computes the statistics elsewhere (``NormalizedTableSequence`` does, on another thread): the
    /// accepted rows since the last ``takeStatisticsRows()``.
    private let offloadsStatistics: Bool
    private var statisticsRows: [[TabularValue]] = []
    private var hasher = SHA256.Hasher()
    private var outcome = IngestionOutcome(
        columns: [], rowCount: 0, rejectedCount: 0, rejections: [], preview: [], statistics: [], uploadedBytes: 0, storedBytes: 0, sha256: ""
    )

    /// A sampled row waiting for the schema (a malformed one too, so rejections keep the file's order).
    private enum Sampled {
        case fields(line: Int, [String?])
        case object(JSONLinesRecord)
        case malformed(TabularError)
    }

    /// - Parameter offloadsStatistics: leave the column statistics to the caller, who takes the accepted rows with
    ///   ``takeStatisticsRows()`` and fills ``IngestionOutcome/statistics`` itself; default false (computed here).
    init(settings: IngestionSettings, offloadsStatistics: Bool = false) {
        self.settings = settings
        self.offloadsStatistics = offloadsStatistics
        if settings.format == .jsonl { inference = SchemaInference() }
    }

    /// Reads one chunk of the upload; returns the normalised CSV bytes it completed (often none while sampling).
    /// - Throws: ``PlatformError`` when the file cannot be read at all (a bad header, too many columns, a broken
    ///   record boundary) or, in reject mode, when it has bad rows.
    mutating func consume(_ chunk: [UInt8]) throws -> [UInt8] {
        outcome.uploadedBytes += Int64(chunk.count)
        do {
            if settings.format == .csv {
                try csv.feed(chunk)
                try drainCSV()
            } else {
                try jsonLines.feed(chunk)
                try drainJSONLines()
            }
        } catch let error as TabularError {
            throw Self.unreadable(error)
        }
        return takeOutput()
    }

    /// The columns once the schema is chosen.
    var chosenColumns: [Column]? { columns }

    /// How many accepted rows wait for ``takeStatisticsRows()``.
    var pendingStatisticsRowCount: Int { statisticsRows.count }

    /// The rows accepted since the last call, for the caller's statistics (only with `offloadsStatistics`).
    mutating func takeStatisticsRows() -> [[TabularValue]] {
        defer { statisticsRows = [] }
        return statisticsRows
    }

    /// Ends the input: flushes the last record, settles the schema if the file was shorter than the sample, and
    /// returns the last bytes with the final outcome.
    /// - Throws: ``PlatformError`` as ``consume(_:)`` does, and when no row was accepted.
    mutating func finish() throws -> ([UInt8], IngestionOutcome) {
        do {
            if settings.format == .csv {
                csv.finish()
                try drainCSV()
                guard header != nil else { throw PlatformError.invalid(field: "file", "The file is empty: send a header row and at least one row") }
            } else {
                jsonLines.finish()
                try drainJSONLines()
            }
            try settleSchema()
        } catch let error as TabularError {
            throw Self.unreadable(error)
        }
        if outcome.rejectedCount > 0 && settings.onError == .reject { throw rejection(stoppedEarly: false) }
        guard outcome.rowCount > 0 || outcome.rejectedCount > 0 else {
            throw PlatformError.invalid(field: "file", "The file has no rows: send at least one row after the header")
        }
        guard outcome.rowCount > 0 else {
            throw PlatformError.uploadRejected(
                UploadRejection(message: "No row was accepted, so nothing was stored", rows: outcome.rejections, rejectedCount: Int(outcome.rejectedCount))
            )
        }
        let tail = takeOutput()
        outcome.columns = columns ?? []
        outcome.statistics = statistics?.summary().columns ?? []
        outcome.sha256 = Hex.encode(hasher.finalize())
        return (tail, outcome)
    }

    private mutating func drainCSV() throws {
        while true {
            if let columns {
                // Once the schema is known, values are parsed straight from the input's bytes (the same outcome as
                // `record.values(for: columns)` on the text events below).
                guard let event = try csv.nextValues(for: columns) else { return }
                switch event {
                case .record(_, let values): try accept(values)
                case .rejected(let error): try reject(error)
                }
                continue
            }
            guard let event = try csv.next() else { return }
            switch event {
            case .header(let names):
                header = names
                inference = SchemaInference(header: names)
            case .record(let record):  // still sampling: the schema is not chosen yet
                inference?.add(record.fields)
                sample.append(.fields(line: record.line, record.fields))
                sampleBytes += record.fields.reduce(0) { $0 + ($1?.utf8.count ?? 0) }
                if sample.count >= settings.sampleRows || sampleBytes >= settings.sampleBytes { try settleSchema() }
            case .malformed(let error):
                sample.append(.malformed(error))
            }
        }
    }

    private mutating func drainJSONLines() throws {
        while let event = try jsonLines.next() {
            switch event {
            case .record(let record):
                if columns == nil {
                    try inference?.add(record)
                    sample.append(.object(record))
                    sampleBytes += record.fields.reduce(0) { $0 + $1.key.utf8.count + 16 }
                    if sample.count >= settings.sampleRows || sampleBytes >= settings.sampleBytes { try settleSchema() }
                } else {
                    try accept(line: record.line) { columns in try record.values(for: columns) }
                }
            case .malformed(let error):
                if columns == nil { sample.append(.malformed(error)) } else { try reject(error) }
            }
        }
    }

    /// Chooses the columns (inferred, then the user's types applied), starts the output and replays the sample.
    private mutating func settleSchema() throws {
        guard columns == nil, let inference else { return }
        var chosen = inference.columns()
        if let overrides = settings.overrides {
            do {
                chosen = try overrides.applied(to: chosen)
            } catch {
                throw PlatformError.invalid(field: "columns", error.message)
            }
        }
        guard !chosen.isEmpty else { throw PlatformError.invalid(field: "file", "The file has no columns") }
        columns = chosen
        writer = try CSVWriter(header: chosen.map(\.name))
        if !offloadsStatistics { statistics = TableStatistics(columns: chosen) }
        let replay = sample
        sample = []
        for row in replay {
            switch row {
            case .fields(let line, let fields): try accept(line: line) { columns in try CSVRecord(line: line, fields: fields).values(for: columns) }
            case .object(let record): try accept(line: record.line) { columns in try record.values(for: columns) }
            case .malformed(let error): try reject(error)
            }
        }
    }

    /// Converts one row; accepted rows go to the statistics, the preview and the output, bad ones to the rejections.
    private mutating func accept(line: Int, _ convert: ([Column]) throws -> [TabularValue]) throws {
        guard let columns else { return }
        let values: [TabularValue]
        do {
            values = try convert(columns)
        } catch let error as TabularError {
            try reject(error)
            return
        }
        try accept(values)
    }

    /// Adds one converted row to the statistics, the output and the preview (only counted once the upload is doomed).
    private mutating func accept(_ values: [TabularValue]) throws {
        guard outcome.rejectedCount == 0 || settings.onError == .skip else { return }  // doomed upload: only count rejections
        if offloadsStatistics { statisticsRows.append(values) } else { statistics?.add(row: values) }
        try writer?.write(values)
        if outcome.preview.count < Datasets.previewRows { outcome.preview.append(values.map(\.canonicalText)) }
        outcome.rowCount += 1
    }

    private mutating func reject(_ error: TabularError) throws {
        outcome.rejectedCount += 1
        if outcome.rejections.count < RowRejection.reportLimit {
            outcome.rejections.append(RowRejection(line: error.line ?? 0, column: error.column, reason: error.reason))
        } else if settings.onError == .reject {
            throw rejection(stoppedEarly: true)  // enough to show what is wrong; no need to read the rest
        }
    }

    private func rejection(stoppedEarly: Bool) -> PlatformError {
        let count = outcome.rejectedCount
        let rows = stoppedEarly ? "At least \(count) rows" : count == 1 ? "1 row" : "\(count) rows"
        return .uploadRejected(
            UploadRejection(
                message: "\(rows) could not be read against the schema, so nothing was stored: correct the file, give the column "
                    + "types (columns=name:type,…), or send on_error=skip to store the other rows",
                rows: outcome.rejections, rejectedCount: Int(count)
            )
        )
    }

    private mutating func takeOutput() -> [UInt8] {
        guard var writer else { return [] }
        let bytes = writer.takeBytes()
        self.writer = writer
        hasher.update(bytes)
        outcome.storedBytes += Int64(bytes.count)
        return bytes
    }

    /// A file-level problem as a field error on `file` that names the line.
    private static func unreadable(_ error: TabularError) -> PlatformError {
        .invalid(field: "file", error.message)
    }
}
