import Tabular
import Testing

@Suite struct PlaceholderFormatsTests {
    @Test func columnTypesHaveTheirSchemaNames() { #expect(ColumnType.allCases.map(\.rawValue) == ["int", "float", "bool", "string", "timestamp", "category"]) }
}
