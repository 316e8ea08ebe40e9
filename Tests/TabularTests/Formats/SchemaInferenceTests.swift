import Tabular
import Testing

@Suite struct SchemaInferenceTests {
    private func infer(_ values: [String?]) -> ColumnType {
        SchemaInference.inferColumns(header: ["c"], rows: values.map { [$0] })[0].type
    }

    @Test func integersGiveInt() {
        #expect(infer(["1", "-2", "+3", "9223372036854775807", nil, ""]) == .int)
    }

    @Test func zeroAndOneStayInt() {
        #expect(infer(["0", "1", "1", "0"]) == .int)
    }

    @Test func anyNonIntegerNumberGivesFloat() {
        #expect(infer(["1", "2.5", "-3e2"]) == .float)
        #expect(infer(["1", "99999999999999999999"]) == .float)
    }

    @Test func boolWordsGiveBool() {
        #expect(infer(["true", "False", "t", "F", "yes", "NO"]) == .bool)
    }

    @Test func boolWordsMixedWithDigitsAreNotBool() {
        #expect(infer(["yes", "no", "1", "yes", "no", "1"]) == .category)
    }

    @Test func datesAndDateTimesGiveTimestamp() {
        #expect(infer(["2026-01-31", "2026-01-31T12:30:00Z", "2026-02-01 08:00:00+04:00"]) == .timestamp)
        #expect(infer(["2026-01-31", "2026-02-30", "2026-01-31", "2026-02-30"]) == .category)
    }

    @Test func fewRepeatedValuesGiveCategory() {
        let plans = (0..<40).map { ["free", "pro", "team"][$0 % 3] }
        #expect(infer(plans) == .category)
    }

    @Test func categoryNeedsAtMostTwentyDistinctValues() {
        let twenty = (0..<40).map { "v\($0 % 20)" }
        let twentyOne = (0..<42).map { "v\($0 % 21)" }
        #expect(infer(twenty) == .category)
        #expect(infer(twentyOne) == .string)
    }

    @Test func categoryNeedsTwoRowsPerDistinctValueOnAverage() {
        #expect(infer(["a", "b", "c", "a", "b", "c"]) == .category)
        #expect(infer(["a", "b", "c", "a", "b"]) == .string)
        #expect(infer(["only"]) == .string)
    }

    @Test func missingValuesAreIgnoredAndAllMissingIsString() {
        #expect(infer(["", nil, "  ", "5"]) == .int)
        #expect(infer([nil, "", nil]) == .string)
        #expect(infer([]) == .string)
    }

    @Test func columnsKeepTheHeaderOrderAndShortRowsCountAsMissing() {
        var inference = SchemaInference(header: ["id", "when", "name"])
        inference.add(["1", "2026-01-01"])
        inference.add(["2", "2026-01-02", "Ada", "extra"])
        #expect(inference.rowCount == 2)
        #expect(inference.columns() == [Column(name: "id", type: .int), Column(name: "when", type: .timestamp), Column(name: "name", type: .string)])
    }

    @Test func jsonRecordsDiscoverColumnsInFirstSeenKeyOrder() throws {
        let result = readJSONLines(
            """
            {"id": 1, "active": true, "plan": "pro"}
            {"score": 2.5, "id": 2, "plan": "free", "active": false}
            {"id": "3", "signup": "2026-01-31", "plan": "pro", "score": 3}
            {"plan": "free", "notes": null}
            """
        )
        var inference = SchemaInference()
        for record in result.records { try inference.add(record) }
        #expect(
            inference.columns() == [
                Column(name: "id", type: .int), Column(name: "active", type: .bool), Column(name: "plan", type: .category),
                Column(name: "score", type: .float), Column(name: "signup", type: .timestamp), Column(name: "notes", type: .string),
            ]
        )
    }

    @Test func jsonInferenceRefusesMoreKeysThanItsLimit() {
        var inference = SchemaInference(maxColumns: 2)
        let record = JSONLinesRecord(line: 7, fields: ["a", "b", "c"].map { JSONField(key: $0, value: .null) })
        let error = thrownTabularError { try inference.add(record) }
        #expect(error?.message == "Line 7: the file's objects have more than 2 distinct keys")
    }

    @Test func inferredColumnsConvertTheSample() throws {
        let result = readCSV(
            "id,plan,ratio,ok,at\n1,gold,0.5,yes,2026-01-31\n2,gold,1,no,2026-02-01T10:00:00Z\n3,silver,,t,\n4,silver,2,f,2026-03-01\n"
        )
        let columns = SchemaInference.inferColumns(header: result.header ?? [], rows: result.rows)
        #expect(columns.map(\.type) == [.int, .category, .float, .bool, .timestamp])
        for record in result.records { _ = try record.values(for: columns) }
    }
}
