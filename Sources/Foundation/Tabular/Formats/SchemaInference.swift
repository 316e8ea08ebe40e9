/// Chooses a ``ColumnType`` for each column from a sample of rows (typically the first 1,000 records of an upload).
///
/// Rows are added one at a time, so the sample need not be kept: memory is a few flags and at most 21 distinct values
/// per column. For each column, over its non-missing values (missing: `nil`, empty, or spaces and tabs only):
/// 1. all parse as `int` → ``ColumnType/int`` (so a column of 0 and 1 is int, not bool);
/// 2. else all parse as `float` → ``ColumnType/float``;
/// 3. else all are `true`/`false`/`t`/`f`/`yes`/`no` (any case) → ``ColumnType/bool``;
/// 4. else all parse as `timestamp` → ``ColumnType/timestamp``;
/// 5. else at most ``maxCategoryValues`` distinct values and at least ``minRowsPerCategoryValue`` non-missing values
///    per distinct value on average → ``ColumnType/category``;
/// 6. else ``ColumnType/string``. A column with no non-missing value in the sample is string.
///
/// JSON-lines records are sampled through the text of their values (``JSONScalar/number(_:)`` as written, bools as
/// `true`/`false`), with columns in the order their keys first appear.
public struct SchemaInference: Sendable {
    /// The most distinct values a category column may have in the sample: 20.
    public static let maxCategoryValues = 20
    /// The fewest non-missing values per distinct value, on average, for a category column: 2.
    public static let minRowsPerCategoryValue = 2

    private struct Candidate: Sendable {
        var name: String
        var isInt = true, isFloat = true, isBool = true, isTimestamp = true
        var valueCount = 0
        var distinctValues: Set<String> = []
        var hasTooManyDistinctValues = false

        init(name: String) { self.name = name }
    }

    private var candidates: [Candidate]
    private var positions: [String: Int] = [:]
    private let maxColumns: Int
    /// The number of rows added so far.
    public private(set) var rowCount = 0

    /// Starts inference for a CSV file with this (validated) header; add rows with `add(_ fields: [String?])`.
    public init(header: [String]) {
        candidates = header.map { Candidate(name: $0) }
        maxColumns = header.count
    }

    /// Starts inference for a JSON-lines file whose columns are discovered from keys; add records with
    /// `add(_ record: JSONLinesRecord)`. At most `maxColumns` distinct keys are accepted (default 1,000).
    public init(maxColumns: Int = ReaderLimits().maxColumns) {
        candidates = []
        self.maxColumns = maxColumns
    }

    /// Adds one row of text fields in header order; extra fields are ignored, absent ones count as missing.
    public mutating func add(_ fields: [String?]) {
        rowCount += 1
        for (index, field) in fields.prefix(candidates.count).enumerated() {
            if let field { observe(field, at: index) }
        }
    }

    /// Adds one JSON-lines record; new keys become new columns.
    /// - Throws: ``TabularError/Code/tooManyColumns`` when the sample's keys pass `maxColumns`.
    public mutating func add(_ record: JSONLinesRecord) throws(TabularError) {
        if positions.isEmpty && !candidates.isEmpty {
            for (index, candidate) in candidates.enumerated() { positions[candidate.name] = index }
        }
        rowCount += 1
        for field in record.fields {
            let index: Int
            if let known = positions[field.key] {
                index = known
            } else {
                guard candidates.count < maxColumns else {
                    throw TabularError(
                        .tooManyColumns,
                        line: record.line,
                        reason: "the file's objects have more than \(MessageText.grouped(maxColumns)) distinct keys"
                    )
                }
                index = candidates.count
                positions[field.key] = index
                candidates.append(Candidate(name: field.key))
            }
            if let text = ValueParser.text(of: field.value) { observe(text, at: index) }
        }
    }

    /// The columns with their inferred types, in header (or first-seen key) order.
    public func columns() -> [Column] {
        candidates.map { Column(name: $0.name, type: Self.type(of: $0)) }
    }

    /// Infers the columns of a CSV sample in one call.
    public static func inferColumns(header: [String], rows: some Sequence<[String?]>) -> [Column] {
        var inference = SchemaInference(header: header)
        for row in rows { inference.add(row) }
        return inference.columns()
    }

    private mutating func observe(_ text: String, at index: Int) {
        var text = text
        let isMissing = text.withUTF8 { bytes in
            let value = ValueParser.trimmingPadding(bytes)
            guard !value.isEmpty else { return true }
            var candidate = candidates[index]
            candidate.isInt = candidate.isInt && Self.succeeds(ValueParser.parseInteger(value))
            candidate.isFloat = candidate.isFloat && Self.succeeds(ValueParser.parseFloat(value))
            // 0 and 1 parse as bools, but a column that needs them to be bools is not inferred as bool.
            let isDigit = value.count == 1 && value[0] &- UInt8(ascii: "0") < 10
            candidate.isBool = candidate.isBool && !isDigit && Self.succeeds(ValueParser.parseBool(value))
            candidate.isTimestamp = candidate.isTimestamp && Self.succeeds(TimestampText.parse(value))
            candidates[index] = candidate
            return false
        }
        guard !isMissing else { return }
        candidates[index].valueCount += 1
        if !candidates[index].hasTooManyDistinctValues && candidates[index].distinctValues.insert(text).inserted {
            if candidates[index].distinctValues.count > Self.maxCategoryValues {
                candidates[index].hasTooManyDistinctValues = true
                candidates[index].distinctValues = []
            }
        }
    }

    private static func succeeds<Value>(_ result: Result<Value, ValueParser.Problem>) -> Bool {
        if case .success = result { true } else { false }
    }

    private static func type(of candidate: Candidate) -> ColumnType {
        guard candidate.valueCount > 0 else { return .string }
        if candidate.isInt { return .int }
        if candidate.isFloat { return .float }
        if candidate.isBool { return .bool }
        if candidate.isTimestamp { return .timestamp }
        let distinct = candidate.distinctValues.count
        if !candidate.hasTooManyDistinctValues && candidate.valueCount >= distinct * minRowsPerCategoryValue { return .category }
        return .string
    }
}
