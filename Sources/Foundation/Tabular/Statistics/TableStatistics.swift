/// Collects the statistics of every column of a table in one pass over its rows.
///
/// One ``ColumnStatisticsAccumulator`` per column; memory is bounded per column (see there) and independent of the row
/// count. Not thread-safe by itself (a value type): to ingest in parallel, give each task its own `TableStatistics` over
/// the same columns and ``merge(_:)`` them at the end.
public struct TableStatistics: Sendable {
    /// The table's columns, in row order.
    public let columns: [Column]
    private var accumulators: [ColumnStatisticsAccumulator]
    /// The number of rows added.
    public private(set) var rowCount = 0

    /// Creates empty statistics for a table with `columns`.
    public init(columns: [Column]) {
        self.columns = columns
        accumulators = columns.map { ColumnStatisticsAccumulator(type: $0.type) }
    }

    /// Adds one row.
    ///
    /// - Parameter row: One value per column, in the order of ``columns``; `.null` for a missing value.
    /// - Precondition: `row` has one value per column, each `.null` or of its column's kind
    ///   (see ``ColumnStatisticsAccumulator``).
    public mutating func add(row: [TabularValue]) {
        precondition(row.count == accumulators.count, "A row of \(row.count) values was added to statistics of \(accumulators.count) columns")
        rowCount += 1
        for index in row.indices {
            accumulators[index].add(row[index])
        }
    }

    /// Adds every row that `other` has seen.
    ///
    /// - Precondition: `other` has the same columns.
    public mutating func merge(_ other: TableStatistics) {
        precondition(columns == other.columns, "Cannot merge the statistics of tables with different columns")
        rowCount += other.rowCount
        for index in accumulators.indices {
            accumulators[index].merge(other.accumulators[index])
        }
    }

    /// The statistics of every column, in column order.
    public func summary() -> TableStatisticsSummary {
        TableStatisticsSummary(
            version: ColumnStatistics.currentVersion,
            rowCount: rowCount,
            columns: zip(columns, accumulators).map { NamedColumnStatistics(name: $0.name, statistics: $1.summary()) }
        )
    }
}

/// The statistics of a table: its row count and each column's ``ColumnStatistics`` with the column's name.
///
/// Stored as JSON like ``ColumnStatistics`` (keys are the property names; later versions only add optional fields).
public struct TableStatisticsSummary: Sendable, Codable, Equatable {
    /// The version of the shape that wrote it (``ColumnStatistics/currentVersion`` for new ones).
    public var version: Int
    /// The number of rows.
    public var rowCount: Int
    /// One entry per column, in the table's column order.
    public var columns: [NamedColumnStatistics]

    /// The statistics of the column called `name`, if there is one.
    public subscript(column name: String) -> ColumnStatistics? {
        columns.first { $0.name == name }?.statistics
    }
}

/// One column's statistics together with the column's name.
public struct NamedColumnStatistics: Sendable, Codable, Equatable {
    /// The column's name.
    public var name: String
    /// Its statistics.
    public var statistics: ColumnStatistics
}
