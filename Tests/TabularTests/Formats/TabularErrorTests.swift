import Tabular
import Testing

@Suite struct TabularErrorTests {
    @Test func messagePutsTheLocationFirst() {
        #expect(
            TabularError(.invalidValue, line: 42, column: "age", reason: "'x' is not an integer").message
                == "Line 42, column 'age': 'x' is not an integer"
        )
        #expect(TabularError(.raggedRow, line: 3, reason: "too short").message == "Line 3: too short")
        #expect(TabularError(.invalidValue, column: "age", reason: "bad").message == "Column 'age': bad")
        #expect(TabularError(.invalidSchema, reason: "bad schema").message == "Bad schema")
        #expect("\(TabularError(.invalidSchema, reason: "bad schema"))" == "Bad schema")
    }

    @Test func locatingKeepsAnExistingLocation() {
        let error = TabularError(.invalidValue, line: 2, reason: "bad")
        #expect(error.located(line: 9, column: "c").line == 2)
        #expect(error.located(line: 9, column: "c").column == "c")
    }

    @Test func codesAreComparableAndNamed() {
        #expect(TabularError.Code.raggedRow == .raggedRow)
        #expect(TabularError.Code.raggedRow != .strayQuote)
        #expect(TabularError.Code.tooManyColumns.description == "tooManyColumns")
    }
}
