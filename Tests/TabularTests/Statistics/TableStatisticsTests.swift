import Tabular
import Testing

/// Whole-table statistics: one accumulator per column, fed row by row, summarised in column order, mergeable.
@Suite struct TableStatisticsTests {
    static let columns = [
        Column(name: "id", type: .int),
        Column(name: "email", type: .string),
        Column(name: "score", type: .float),
        Column(name: "active", type: .bool),
        Column(name: "signed_up", type: .timestamp),
        Column(name: "plan", type: .category),
    ]

    static func row(_ index: Int) -> [TabularValue] {
        [
            .int(Int64(index)),
            index % 10 == 0 ? .null : .string("user\(index)@example.com"),
            .float(Double(index % 8) * 0.5),
            .bool(index % 3 == 0),
            .timestamp(microseconds: 1_700_000_000_000_000 + Int64(index) * 1_000_000),
            .string(["free", "pro", "team"][index % 3]),
        ]
    }

    @Test func summaryListsEveryColumnInOrderWithItsName() {
        var table = TableStatistics(columns: Self.columns)
        for index in 0..<100 {
            table.add(row: Self.row(index))
        }
        let summary = table.summary()
        #expect(summary.rowCount == 100)
        #expect(summary.version == ColumnStatistics.currentVersion)
        #expect(summary.columns.map(\.name) == Self.columns.map(\.name))
        #expect(summary.columns.map(\.statistics.type) == Self.columns.map(\.type))
        #expect(summary.columns.allSatisfy { $0.statistics.count == 100 })
        #expect(summary[column: "email"]?.missing == 10)
        #expect(summary[column: "id"]?.numeric?.maximum == 99)
        #expect(summary[column: "active"]?.boolean?.trueCount == 34)
        #expect(summary[column: "plan"]?.text?.frequentValues.map(\.count) == [34, 33, 33])
        #expect(summary[column: "signed_up"]?.timestamp?.maximum == 1_700_000_099_000_000)
        #expect(summary[column: "missing"] == nil)
    }

    @Test func mergingTablesBuiltFromHalvesMatchesOneTableOverAllRows() {
        var whole = TableStatistics(columns: Self.columns)
        var first = TableStatistics(columns: Self.columns)
        var second = TableStatistics(columns: Self.columns)
        for index in 0..<3_000 {
            whole.add(row: Self.row(index))
            if index < 1_234 {
                first.add(row: Self.row(index))
            } else {
                second.add(row: Self.row(index))
            }
        }
        first.merge(second)
        let merged = first.summary()
        let expected = whole.summary()
        #expect(merged.rowCount == expected.rowCount)
        for (mergedColumn, expectedColumn) in zip(merged.columns, expected.columns) {
            var mergedStatistics = mergedColumn.statistics
            let expectedStatistics = expectedColumn.statistics
            // Mean and deviation agree up to rounding; sketched parts within their bounds (checked in their own suites),
            // so those are compared loosely here and everything else exactly.
            if var numeric = mergedStatistics.numeric, let reference = expectedStatistics.numeric {
                #expect(abs(numeric.mean - reference.mean) < 1e-9)
                #expect(abs(numeric.standardDeviation - reference.standardDeviation) < 1e-9)
                #expect(numeric.histogram.counts.reduce(0, +) == reference.histogram.counts.reduce(0, +))
                numeric.mean = reference.mean
                numeric.standardDeviation = reference.standardDeviation
                numeric.quantiles = reference.quantiles
                numeric.histogram = reference.histogram
                mergedStatistics.numeric = numeric
            }
            if var timestamp = mergedStatistics.timestamp, let reference = expectedStatistics.timestamp {
                #expect(timestamp.histogram.counts.reduce(0, +) == reference.histogram.counts.reduce(0, +))
                timestamp.quantiles = reference.quantiles
                timestamp.histogram = reference.histogram
                mergedStatistics.timestamp = timestamp
            }
            if mergedColumn.name == "email" {
                // 2,700 distinct addresses overflow the 1,000 counters, so the listed ones depend on the merge.
                mergedStatistics.text?.frequentValues = expectedStatistics.text?.frequentValues ?? []
            }
            #expect(mergedStatistics == expectedStatistics, "column \(mergedColumn.name)")
        }
    }
}
