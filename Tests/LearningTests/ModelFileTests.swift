import Foundation
import Tabular
import Testing

@testable import Learning

/// The preprocessor's encodings and the model file: a round trip predicts the same, and a damaged, truncated,
/// foreign or newer file is refused with a reason.
@Suite struct ModelFileTests {
    static let columns = [Column(name: "age", type: .int), Column(name: "plan", type: .category), Column(name: "active", type: .bool)]
    static let rows: [[TabularValue]] = [
        [.int(20), .string("pro"), .bool(true)],
        [.int(40), .string("free"), .bool(false)],
        [.null, .string("pro"), .bool(true)],
        [.int(30), .null, .bool(false)],
    ]

    @Test func linearEncodingImputesStandardisesAndOneHotEncodes() {
        let preprocessor = Preprocessor.fit(columns: Self.columns, rows: Self.rows, style: .linear)
        #expect(preprocessor.featureNames == ["age", "plan=free", "plan=pro", "active"])
        // age: mean 30 over the three present values, population deviation √(200/3); missing → the mean → 0.
        let deviation = (200.0 / 3).squareRoot()
        let matrix = preprocessor.transform(Self.rows + [[.int(30), .string("enterprise"), .null]])
        #expect(abs(matrix[0, 0] - (-10 / deviation)) < 1e-12 && matrix[2, 0] == 0)
        #expect(matrix.row(0)[1...2] == [0, 1] && matrix.row(1)[1...2] == [1, 0])
        #expect(matrix.row(3)[1...2] == [0, 0] && matrix.row(4)[1...2] == [0, 0])  // missing and unseen: no category
        #expect(matrix[4, 3] == 0)  // a missing bool becomes the mean (0.5) standardised → 0
    }

    @Test func treeEncodingKeepsNumbersAndMissingValues() {
        let preprocessor = Preprocessor.fit(columns: Self.columns, rows: Self.rows, style: .trees)
        let matrix = preprocessor.transform(Self.rows + [[.int(7), .string("enterprise"), .bool(true)]])
        #expect(matrix[0, 0] == 20 && matrix[2, 0].isNaN)
        #expect(matrix[0, 1] == 1 && matrix[1, 1] == 0 && matrix[3, 1].isNaN && matrix[4, 1].isNaN)  // free 0, pro 1
        #expect(matrix[0, 2] == 1 && matrix[1, 2] == 0)
    }

    @Test func aSavedModelPredictsTheSameAfterLoading() throws {
        let preprocessor = Preprocessor.fit(columns: Self.columns, rows: Self.rows, style: .linear)
        let logistic = LogisticModel(classCount: 2, weights: [[0.5, -1, 2, 0.25]], intercepts: [0.1])
        let file = ModelFile(task: .binary, target: "churned", classes: ["no", "yes"], preprocessor: preprocessor, algorithm: .logistic(logistic))
        let loaded = try ModelFile.decode(try file.encoded())
        #expect(loaded == file)
        for row in Self.rows { #expect(loaded.predict(row) == file.predict(row)) }
        let ridge = ModelFile(
            task: .regression, target: "spend", classes: [], preprocessor: Preprocessor.fit(columns: Self.columns, rows: Self.rows, style: .linear),
            algorithm: .ridge(LinearModel(weights: [1, 2, 3, 4], intercept: -1))
        )
        #expect(try ModelFile.decode(try ridge.encoded()) == ridge)
    }

    @Test func aDamagedTruncatedForeignOrNewerFileIsRefusedWithTheReason() throws {
        let file = ModelFile(
            task: .regression, target: "spend", classes: [], preprocessor: Preprocessor.fit(columns: Self.columns, rows: Self.rows, style: .linear),
            algorithm: .ridge(LinearModel(weights: [1, 2, 3, 4], intercept: -1))
        )
        let bytes = try file.encoded()
        func refusal(_ bytes: [UInt8]) -> String {
            do {
                _ = try ModelFile.decode(bytes)
                return "loaded"
            } catch { return error.description }
        }
        var flipped = bytes
        flipped[bytes.count - 5] ^= 0x01
        #expect(refusal(flipped).contains("corrupted"))
        #expect(refusal(Array(bytes.dropLast(3))).contains("truncated"))
        #expect(refusal(Array("PK\u{3}\u{4} not a model\n{}".utf8)).contains("not a Falaj model file"))
        #expect(refusal([]).contains("not a Falaj model file"))
        let newer = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "falaj-model 1 ", with: "falaj-model 2 ")
        #expect(refusal(Array(newer.utf8)).contains("format version 2, written by a newer Falaj"))
    }
}
