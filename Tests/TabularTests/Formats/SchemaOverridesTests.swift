import Tabular
import Testing

@Suite struct SchemaOverridesTests {
    @Test func parsesNameTypePairs() throws {
        let overrides = try SchemaOverrides(parsing: "age:int,plan:category,signup:timestamp")
        #expect(
            overrides.columns == [Column(name: "age", type: .int), Column(name: "plan", type: .category), Column(name: "signup", type: .timestamp)]
        )
        #expect(overrides.text == "age:int,plan:category,signup:timestamp")
    }

    @Test func toleratesSpacesAndTypeCase() throws {
        let overrides = try SchemaOverrides(parsing: " first name : String ,  score:FLOAT ")
        #expect(overrides.columns == [Column(name: "first name", type: .string), Column(name: "score", type: .float)])
    }

    @Test func nameMayContainColonsBecauseTheTypeFollowsTheLastOne() throws {
        #expect(try SchemaOverrides(parsing: "time:utc:timestamp").columns == [Column(name: "time:utc", type: .timestamp)])
    }

    @Test func emptyTextMeansNoOverrides() throws {
        #expect(try SchemaOverrides(parsing: "").columns.isEmpty)
        #expect(try SchemaOverrides(parsing: "   ").columns.isEmpty)
    }

    @Test func unknownTypeIsRefusedListingTheValidOnes() {
        let error = thrownTabularError { try SchemaOverrides(parsing: "age:integer") }
        #expect(error?.code == .invalidSchema)
        #expect(
            error?.message
                == "Column 'age' has the unknown type 'integer' in the schema; valid types are int, float, bool, string, timestamp, category"
        )
        #expect(
            thrownTabularError { try SchemaOverrides(parsing: "age:") }?.message
                == "Column 'age' has no type in the schema; valid types are int, float, bool, string, timestamp, category"
        )
    }

    @Test func malformedEntriesAreRefused() {
        #expect(thrownTabularError { try SchemaOverrides(parsing: "age:int,age:float") }?.message == "The schema names column 'age' more than once")
        #expect(thrownTabularError { try SchemaOverrides(parsing: " :int") }?.message == "Entry 1 of the schema, ':int', has an empty column name")
        #expect(
            thrownTabularError { try SchemaOverrides(parsing: "age:int,plan") }?.message
                == "Entry 2 of the schema, 'plan', has no type; write it as name:type"
        )
        #expect(
            thrownTabularError { try SchemaOverrides(parsing: "age:int,,plan:category") }?.message
                == "Entry 2 of the schema is empty; write name:type entries separated by commas"
        )
        #expect(thrownTabularError { try SchemaOverrides(parsing: "age:int,") }?.code == .invalidSchema)
    }

    @Test func columnsInitializerChecksNames() throws {
        #expect(thrownTabularError { try SchemaOverrides(columns: [Column(name: "", type: .int)]) }?.code == .invalidSchema)
        #expect(
            thrownTabularError { try SchemaOverrides(columns: [Column(name: "a", type: .int), Column(name: "a", type: .bool)]) }?.code
                == .invalidSchema
        )
        #expect(try SchemaOverrides(columns: [Column(name: "a", type: .int)]).columns.count == 1)
    }

    @Test func applyingReplacesTypesAndKeepsTheFileOrder() throws {
        let inferred = [Column(name: "id", type: .int), Column(name: "plan", type: .string), Column(name: "zip", type: .int)]
        let overrides = try SchemaOverrides(parsing: "zip:string,plan:category")
        #expect(
            try overrides.applied(to: inferred) == [
                Column(name: "id", type: .int), Column(name: "plan", type: .category), Column(name: "zip", type: .string),
            ]
        )
    }

    @Test func applyingReportsEveryColumnTheFileLacks() throws {
        let fileColumns = [Column(name: "id", type: .int), Column(name: "age", type: .int)]
        let error = thrownTabularError { try SchemaOverrides(parsing: "agee:int,id:int,plan:category").applied(to: fileColumns) }
        #expect(error?.code == .unknownColumn)
        #expect(error?.message == "The schema names columns the file lacks: 'agee', 'plan'; the file's columns are 'id', 'age'")
    }
}
