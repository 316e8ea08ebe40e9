import Tabular
import Testing

@Suite struct HeaderValidationTests {
    @Test func namesAreTrimmedOfSpacesAndTabs() throws {
        #expect(try HeaderValidation.validate([" id", "name ", "\tage\t", "first name"]) == ["id", "name", "age", "first name"])
    }

    @Test func blankNamesAreRefused() {
        #expect(
            thrownTabularError { try HeaderValidation.validate(["id", "  "]) }?.message
                == "Column 2 of the header has no name; every column needs one"
        )
    }

    @Test func namesMustBeUniqueAfterTrimmingButCaseMatters() throws {
        #expect(
            thrownTabularError { try HeaderValidation.validate(["id", "name", " id "]) }?.message
                == "The header names column 'id' twice (columns 1 and 3)"
        )
        #expect(try HeaderValidation.validate(["Age", "age"]) == ["Age", "age"])
    }

    @Test func namesMayHaveAtMost128Characters() throws {
        #expect(try HeaderValidation.validate([String(repeating: "a", count: 128)]).first?.count == 128)
        #expect(try HeaderValidation.validate([String(repeating: "é", count: 128)]).first?.count == 128)
        let error = thrownTabularError { try HeaderValidation.validate(["id", String(repeating: "b", count: 129)]) }
        #expect(error?.code == .invalidColumnName)
        #expect(error?.message == "The name of column 2, '\(String(repeating: "b", count: 40))…', is 129 characters long; the limit is 128")
    }

    @Test func limitIsConfigurable() {
        #expect(thrownTabularError { try HeaderValidation.validate(["abcd"], maxNameLength: 3) }?.code == .invalidColumnName)
    }
}
