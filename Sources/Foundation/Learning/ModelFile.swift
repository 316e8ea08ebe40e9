import FalajCrypto
import Foundation
public import Tabular

/// A trained model as it is stored and served: the task, the target's classes, the fitted ``Preprocessor`` and the
/// algorithm's parameters, so a prediction applies exactly the transform training used.
///
/// On disk (format version 1) it is one header line and a JSON payload:
///
///     falaj-model 1 sha256=<64 hex digits of the payload> bytes=<payload length>\n
///     {"algorithm":{…},"classes":[…],"preprocessor":{…},"target":"churned","task":"binary"}
///
/// The payload is UTF-8 JSON with sorted keys; NaN (a missing value in a tree encoding) is written as the string
/// `"nan"`. Loading checks the magic word, the version (a file from a newer Falaj is refused, saying so), the length and
/// the checksum before decoding anything, so a truncated or altered file fails with a clear ``ModelFileError``.
public struct ModelFile: Sendable, Equatable, Codable {
    /// What the model predicts.
    public enum Task: String, Sendable, Codable {
        /// Two classes; the probability of the second is the score.
        case binary
        /// More than two classes.
        case multiclass
        /// A number.
        case regression
    }

    /// The fitted algorithm and its parameters.
    public enum Algorithm: Sendable, Equatable {
        /// L2 logistic regression (classification).
        case logistic(LogisticModel)
        /// Ridge / least-squares regression.
        case ridge(LinearModel)
        /// Histogram gradient-boosted trees (any task).
        case boostedTrees(BoostedTrees)
    }

    /// The version this build writes and the newest it reads.
    public static let formatVersion = 1
    private static let magic = "falaj-model"

    /// Binary, multi-class or regression.
    public var task: Task
    /// The target column's name.
    public var target: String
    /// The target's values by class index (classification; empty for regression).
    public var classes: [String]
    /// The feature transform fitted on the training rows.
    public var preprocessor: Preprocessor
    /// The model itself.
    public var algorithm: Algorithm

    /// Creates a model file.
    public init(task: Task, target: String, classes: [String], preprocessor: Preprocessor, algorithm: Algorithm) {
        self.task = task
        self.target = target
        self.classes = classes
        self.preprocessor = preprocessor
        self.algorithm = algorithm
    }

    /// A prediction for one row.
    public struct Prediction: Sendable, Equatable {
        /// The most probable class (classification) or the predicted number as text (regression).
        public var label: String
        /// The predicted number (regression) or the most probable class's probability.
        public var value: Double
        /// Each class's probability, in ``ModelFile/classes`` order (empty for regression).
        public var probabilities: [Double]
    }

    /// Predicts one row (values in the preprocessor's input order).
    public func predict(_ row: [TabularValue]) -> Prediction {
        var features = [Double](repeating: 0, count: preprocessor.featureCount)
        features.withUnsafeMutableBufferPointer { preprocessor.transform(row, into: $0) }
        return features.withUnsafeBufferPointer { features in
            switch algorithm {
            case .ridge(let model):
                let value = model.predict(features)
                return Prediction(label: String(value), value: value, probabilities: [])
            case .logistic(let model):
                return classification(model.probabilities(features))
            case .boostedTrees(let model):
                let scores = model.rawScores(features)
                switch task {
                case .regression: return Prediction(label: String(scores[0]), value: scores[0], probabilities: [])
                case .binary:
                    let positive = LogisticRegression.sigmoid(scores[0])
                    return classification([1 - positive, positive])
                case .multiclass: return classification(LogisticRegression.softmax(scores))
                }
            }
        }
    }

    private func classification(_ probabilities: [Double]) -> Prediction {
        let best = probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0
        return Prediction(label: classes[best], value: probabilities[best], probabilities: probabilities)
    }

    // MARK: The file format

    /// The file's bytes: the header line, then the payload.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let payload = Array(try encoder.encode(self))
        let header = "\(Self.magic) \(Self.formatVersion) sha256=\(Hex.encode(SHA256.hash(payload))) bytes=\(payload.count)\n"
        return Array(header.utf8) + payload
    }

    /// Reads a model file.
    /// - Throws: ``ModelFileError`` naming what is wrong: not a model file, a newer format, truncated, altered, unreadable.
    public static func decode(_ bytes: [UInt8]) throws(ModelFileError) -> ModelFile {
        guard let newline = bytes.prefix(512).firstIndex(of: 0x0A),
            let header = String(validating: bytes[..<newline], as: UTF8.self)
        else { throw ModelFileError("This is not a Falaj model file (no header line)") }
        let fields = header.split(separator: " ")
        guard fields.count == 4, fields[0] == magic, let version = Int(fields[1]) else {
            throw ModelFileError("This is not a Falaj model file (the header is '\(String(header.prefix(60)))')")
        }
        guard version <= formatVersion else {
            throw ModelFileError("The model file has format version \(version), written by a newer Falaj; this one reads up to version \(formatVersion)")
        }
        guard fields[2].hasPrefix("sha256="), fields[3].hasPrefix("bytes="), let length = Int(fields[3].dropFirst(6)) else {
            throw ModelFileError("The model file's header is damaged")
        }
        let payload = Array(bytes[(newline + 1)...])
        guard payload.count == length else {
            throw ModelFileError("The model file is \(payload.count < length ? "truncated" : "too long"): \(payload.count) payload bytes where the header says \(length)")
        }
        guard Hex.encode(SHA256.hash(payload)) == fields[2].dropFirst(7) else {
            throw ModelFileError("The model file is corrupted: its checksum does not match its contents")
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            return try decoder.decode(ModelFile.self, from: Data(payload))
        } catch {
            throw ModelFileError("The model file's contents cannot be read: \(error)")
        }
    }
}

/// A model file that cannot be loaded; the message says why.
public struct ModelFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, for the person who gave the file.
    public let description: String
    init(_ description: String) { self.description = description }
}

extension ModelFile.Algorithm: Codable {
    private enum CodingKeys: String, CodingKey {
        case kind, logistic, ridge
        case boostedTrees = "boosted_trees"
    }

    /// Reads `{"kind": "logistic", "logistic": {…}}` and the like.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .kind) {
        case "logistic": self = .logistic(try container.decode(LogisticModel.self, forKey: .logistic))
        case "ridge": self = .ridge(try container.decode(LinearModel.self, forKey: .ridge))
        case "boosted_trees": self = .boostedTrees(try container.decode(BoostedTrees.self, forKey: .boostedTrees))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "Unknown algorithm '\(other)'")
        }
    }

    /// Writes the kind and the parameters under it.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .logistic(let model):
            try container.encode("logistic", forKey: .kind)
            try container.encode(model, forKey: .logistic)
        case .ridge(let model):
            try container.encode("ridge", forKey: .kind)
            try container.encode(model, forKey: .ridge)
        case .boostedTrees(let model):
            try container.encode("boosted_trees", forKey: .kind)
            try container.encode(model, forKey: .boostedTrees)
        }
    }
}
