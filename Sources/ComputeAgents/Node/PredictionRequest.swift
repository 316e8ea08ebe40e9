import AgentProtocol
import Foundation
import Tabular

/// Reads a replica's `{"rows": [{…}, …]}` body into typed rows in the model's input order, checking every field: a
/// missing input, an input the model does not take, or a value of the wrong type is reported with its row and field
/// (the first 100 problems). `null` is a missing value, which the model handles as in training.
enum PredictionRequest {
    /// One JSON value of a row.
    enum Scalar: Decodable {
        case null, bool(Bool), int(Int64), float(Double), string(String)

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let flag = try? container.decode(Bool.self) {
                self = .bool(flag)
            } else if let number = try? container.decode(Int64.self) {
                self = .int(number)
            } else if let number = try? container.decode(Double.self) {
                self = .float(number)
            } else if let text = try? container.decode(String.self) {
                self = .string(text)
            } else {
                throw DecodingError.typeMismatch(Scalar.self, .init(codingPath: decoder.codingPath, debugDescription: "not a number, string, bool or null"))
            }
        }
    }

    struct Body: Decodable {
        var rows: [[String: Scalar]]
    }

    /// Why the rows cannot be predicted: a problem document with one entry per bad field.
    struct Problem: Error {
        var detail: String
        var errors: [(row: Int?, field: String?, detail: String)] = []

        var json: String {
            let entries = errors.map { error -> [String: Any] in
                var entry: [String: Any] = ["detail": error.detail]
                if let row = error.row { entry["row"] = row }
                if let field = error.field { entry["field"] = field }
                return entry
            }
            let document: [String: Any] = ["title": "Bad Request", "status": 400, "detail": detail, "errors": entries]
            let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// The typed rows, or the problem.
    static func rows(_ body: [UInt8], inputs: [Column]) -> Result<[[TabularValue]], Problem> {
        let parsed: Body
        do {
            parsed = try JSONDecoder().decode(Body.self, from: Data(body))
        } catch {
            return .failure(Problem(detail: #"Send JSON {"rows": [{"<input>": value, …}]}: \#(error.localizedDescription)"#))
        }
        guard !parsed.rows.isEmpty else { return .failure(Problem(detail: "Send at least one row")) }
        guard parsed.rows.count <= ServeReplicaSpec.maximumRows else {
            return .failure(Problem(detail: "Send at most \(ServeReplicaSpec.maximumRows) rows at once; this request has \(parsed.rows.count)"))
        }
        let known = Set(inputs.map(\.name))
        var problem = Problem(detail: "Some rows do not fit the model's inputs (\(inputs.map { "\($0.name): \($0.type.rawValue)" }.joined(separator: ", ")))")
        var rows: [[TabularValue]] = []
        rows.reserveCapacity(parsed.rows.count)
        for (index, row) in parsed.rows.enumerated() {
            var values: [TabularValue] = []
            values.reserveCapacity(inputs.count)
            for column in inputs {
                guard let scalar = row[column.name] else {
                    problem.errors.append((index, column.name, "missing; send null for an unknown value"))
                    continue
                }
                switch value(scalar, as: column.type) {
                case .success(let value): values.append(value)
                case .failure(let reason): problem.errors.append((index, column.name, reason.detail))
                }
            }
            for extra in row.keys.sorted() where !known.contains(extra) {
                problem.errors.append((index, extra, "the model takes no input '\(extra)'"))
            }
            if problem.errors.count >= 100 { break }
            rows.append(values)
        }
        guard problem.errors.isEmpty else {
            problem.errors = Array(problem.errors.prefix(100))
            return .failure(problem)
        }
        return .success(rows)
    }

    /// One JSON value as the column's type.
    static func value(_ scalar: Scalar, as type: ColumnType) -> Result<TabularValue, Problem> {
        switch (scalar, type) {
        case (.null, _): return .success(.null)
        case (.int(let number), .int): return .success(.int(number))
        case (.int(let number), .float): return .success(.float(Double(number)))
        case (.float(let number), .float): return .success(.float(number))
        case (.bool(let flag), .bool): return .success(.bool(flag))
        case (.string(let text), .string), (.string(let text), .category): return .success(.string(text))
        case (.string(let text), .timestamp):
            do {
                return .success(try ValueParser.parse(text, as: .timestamp))
            } catch {
                return .failure(Problem(detail: "'\(text.prefix(40))' is not a timestamp (ISO 8601)"))
            }
        default:
            return .failure(Problem(detail: "expected \(type.rawValue), got \(describe(scalar))"))
        }
    }

    static func describe(_ scalar: Scalar) -> String {
        switch scalar {
        case .null: "null"
        case .bool: "a bool"
        case .int: "an integer"
        case .float: "a number with a fraction"
        case .string: "a string"
        }
    }
}
