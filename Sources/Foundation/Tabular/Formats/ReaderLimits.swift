/// Size limits for ``CSVReader`` and ``JSONLinesReader``, so that a hostile or broken upload fails with a clear error
/// instead of growing memory without bound.
///
/// With the defaults, a reader holds at most about `maxRecordBytes` plus one fed chunk, provided the caller drains
/// events with `next()` after every `feed(_:)`.
public struct ReaderLimits: Sendable, Hashable {
    /// The most columns a CSV header (or keys a JSON object) may have. Default 1,000.
    public var maxColumns: Int
    /// The most bytes one field (CSV field as written, without its enclosing quotes; JSON string value) may have.
    /// Default 1 MiB.
    public var maxFieldBytes: Int
    /// The most bytes one record (CSV record including embedded line breaks; JSON line) may have. Default 16 MiB.
    public var maxRecordBytes: Int
    /// The most characters a column name may have. Default 128.
    public var maxColumnNameLength: Int

    /// Creates limits; every argument defaults to the documented default.
    public init(
        maxColumns: Int = 1_000,
        maxFieldBytes: Int = 1 << 20,
        maxRecordBytes: Int = 16 << 20,
        maxColumnNameLength: Int = 128
    ) {
        self.maxColumns = maxColumns
        self.maxFieldBytes = maxFieldBytes
        self.maxRecordBytes = maxRecordBytes
        self.maxColumnNameLength = maxColumnNameLength
    }
}
