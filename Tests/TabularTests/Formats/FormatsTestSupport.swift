import Tabular

/// Everything a reader produced for one input: its events and the fatal error that stopped it, if any.
struct CSVReadResult: Equatable {
    var events: [CSVEvent] = []
    var error: TabularError?

    var header: [String]? {
        for case .header(let names) in events { return names }
        return nil
    }
    var records: [CSVRecord] { events.compactMap { if case .record(let record) = $0 { record } else { nil } } }
    var rows: [[String?]] { records.map(\.fields) }
    var problems: [TabularError] { events.compactMap { if case .malformed(let error) = $0 { error } else { nil } } }
}

/// Feeds `bytes` to a fresh CSV reader in pieces ending at `boundaries` (then the rest), draining after each feed.
func readCSV(_ bytes: [UInt8], boundaries: [Int] = [], limits: ReaderLimits = ReaderLimits()) -> CSVReadResult {
    var reader = CSVReader(limits: limits)
    var result = CSVReadResult()
    do {
        var start = 0
        for end in boundaries + [bytes.count] where end >= start {
            try reader.feed(bytes[start..<end])
            start = end
            while let event = try reader.next() { result.events.append(event) }
        }
        reader.finish()
        while let event = try reader.next() { result.events.append(event) }
    } catch {
        result.error = error
    }
    return result
}

/// Reads `text` as CSV, whole or in chunks of `chunkSize` bytes.
func readCSV(_ text: String, chunkSize: Int? = nil, limits: ReaderLimits = ReaderLimits()) -> CSVReadResult {
    let bytes = Array(text.utf8)
    let boundaries = chunkSize.map { Array(stride(from: $0, to: bytes.count, by: $0)) } ?? []
    return readCSV(bytes, boundaries: boundaries, limits: limits)
}

/// Everything a JSON-lines reader produced for one input.
struct JSONLinesReadResult: Equatable {
    var events: [JSONLinesEvent] = []
    var error: TabularError?

    var records: [JSONLinesRecord] { events.compactMap { if case .record(let record) = $0 { record } else { nil } } }
    var problems: [TabularError] { events.compactMap { if case .malformed(let error) = $0 { error } else { nil } } }
}

/// Feeds `bytes` to a fresh JSON-lines reader in pieces ending at `boundaries` (then the rest).
func readJSONLines(_ bytes: [UInt8], boundaries: [Int] = [], limits: ReaderLimits = ReaderLimits()) -> JSONLinesReadResult {
    var reader = JSONLinesReader(limits: limits)
    var result = JSONLinesReadResult()
    do {
        var start = 0
        for end in boundaries + [bytes.count] where end >= start {
            try reader.feed(bytes[start..<end])
            start = end
            while let event = try reader.next() { result.events.append(event) }
        }
        reader.finish()
        while let event = try reader.next() { result.events.append(event) }
    } catch {
        result.error = error
    }
    return result
}

/// Reads `text` as JSON lines, whole or in chunks of `chunkSize` bytes.
func readJSONLines(_ text: String, chunkSize: Int? = nil, limits: ReaderLimits = ReaderLimits()) -> JSONLinesReadResult {
    let bytes = Array(text.utf8)
    let boundaries = chunkSize.map { Array(stride(from: $0, to: bytes.count, by: $0)) } ?? []
    return readJSONLines(bytes, boundaries: boundaries, limits: limits)
}

/// The ``TabularError`` `body` throws (`nil` when it throws nothing or another error), for checking code and message.
func thrownTabularError<Value>(_ body: () throws -> Value) -> TabularError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error as? TabularError
    }
}
