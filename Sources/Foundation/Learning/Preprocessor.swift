public import Tabular

/// Turns rows of typed values into model features, fitted on the training rows only and saved with the model, so
/// serving applies exactly the transform training used.
///
/// Per input column, from its schema type:
/// - int, float, bool (0/1) and timestamp (seconds since 1970): numbers. For linear models a missing value becomes
///   the training mean and the column is standardised (minus the mean, divided by the standard deviation); for trees
///   the number is kept as it is and a missing value stays missing (NaN), which the trees route on their own.
/// - category and string: for linear models one-hot, one feature per value seen in training (the most frequent
///   ``maximumCategories``); a missing, rare or unseen value sets none of them. For trees the value's index
///   (ordinal), with missing, rare and unseen values missing.
public struct Preprocessor: Sendable, Equatable, Codable {
    /// Which kind of model the features are for.
    public enum Style: String, Sendable, Codable {
        /// Standardised numbers, one-hot categories, missing values imputed.
        case linear
        /// Raw numbers, ordinal categories, missing values kept missing.
        case trees
    }

    /// How one input column is encoded.
    public enum Encoding: Sendable, Equatable, Codable {
        /// A number: `(value − center) / scale`, `fill` (before centring) when missing; NaN `fill` keeps it missing.
        case numeric(center: Double, scale: Double, fill: Double)
        /// One feature per category, 1 for the row's value.
        case oneHot(categories: [String])
        /// The category's index; NaN when missing or not among `categories`.
        case ordinal(categories: [String])
    }

    /// One input column and its encoding.
    public struct Input: Sendable, Equatable, Codable {
        /// The column as the schema names and types it.
        public var column: Column
        /// How it becomes features.
        public var encoding: Encoding

        /// How many features it makes.
        public var width: Int {
            if case .oneHot(let categories) = encoding { return categories.count }
            return 1
        }
    }

    /// The inputs in feature order.
    public var inputs: [Input]
    /// The style the inputs were fitted for.
    public var style: Style

    /// Categories kept per column (the most frequent; ties by name).
    public static let maximumCategories = 100

    /// The number of features per row.
    public var featureCount: Int { inputs.reduce(0) { $0 + $1.width } }

    /// Feature names: the column's name, or `name=value` for one-hot features.
    public var featureNames: [String] {
        inputs.flatMap { input -> [String] in
            if case .oneHot(let categories) = input.encoding { return categories.map { "\(input.column.name)=\($0)" } }
            return [input.column.name]
        }
    }

    /// Fits the encodings on training rows (each row's values in `columns` order).
    public static func fit(columns: [Column], rows: [[TabularValue]], style: Style) -> Preprocessor {
        let inputs = columns.enumerated().map { index, column -> Input in
            switch column.type {
            case .category, .string:
                var counts: [String: Int] = [:]
                for row in rows { if let text = Self.text(row[index]) { counts[text, default: 0] += 1 } }
                let kept = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(maximumCategories).map(\.key).sorted()
                return Input(column: column, encoding: style == .linear ? .oneHot(categories: kept) : .ordinal(categories: kept))
            case .int, .float, .bool, .timestamp:
                var count = 0.0
                var mean = 0.0
                var squares = 0.0
                for row in rows {
                    guard let value = Self.number(row[index]) else { continue }
                    count += 1
                    let delta = value - mean
                    mean += delta / count
                    squares += delta * (value - mean)
                }
                guard style == .linear else { return Input(column: column, encoding: .numeric(center: 0, scale: 1, fill: .nan)) }
                let deviation = count > 0 ? (squares / count).squareRoot() : 0
                return Input(column: column, encoding: .numeric(center: mean, scale: deviation > 0 ? deviation : 1, fill: mean))
            }
        }
        return Preprocessor(inputs: inputs, style: style)
    }

    /// Writes the features of `row` (values in input order) into `features` (``featureCount`` long).
    public func transform(_ row: [TabularValue], into features: UnsafeMutableBufferPointer<Double>) {
        var position = 0
        for (index, input) in inputs.enumerated() {
            let value = row[index]
            switch input.encoding {
            case .numeric(let center, let scale, let fill):
                features[position] = ((Self.number(value) ?? fill) - center) / scale
                position += 1
            case .oneHot(let categories):
                for offset in 0..<categories.count { features[position + offset] = 0 }
                if let text = Self.text(value), let found = Self.index(of: text, in: categories) { features[position + found] = 1 }
                position += categories.count
            case .ordinal(let categories):
                features[position] = Self.text(value).flatMap { Self.index(of: $0, in: categories) }.map(Double.init) ?? .nan
                position += 1
            }
        }
    }

    /// The features of every row.
    public func transform(_ rows: [[TabularValue]]) -> Matrix {
        var matrix = Matrix(rows: rows.count, columns: featureCount)
        let width = featureCount
        matrix.values.withUnsafeMutableBufferPointer { values in
            for (index, row) in rows.enumerated() {
                transform(row, into: UnsafeMutableBufferPointer(rebasing: values[(index * width)..<((index + 1) * width)]))
            }
        }
        return matrix
    }

    /// A value as a number (timestamps in seconds since 1970), or nil when missing or not numeric.
    static func number(_ value: TabularValue) -> Double? {
        switch value {
        case .int(let number): Double(number)
        case .float(let number): number
        case .bool(let flag): flag ? 1 : 0
        case .timestamp(let microseconds): Double(microseconds) / 1_000_000
        case .string, .null: nil
        }
    }

    /// A value as category text, or nil when missing.
    static func text(_ value: TabularValue) -> String? {
        switch value {
        case .null: nil
        case .string(let text): text
        default: value.canonicalText
        }
    }

    /// Where `text` is in the sorted `categories`, by binary search.
    private static func index(of text: String, in categories: [String]) -> Int? {
        var low = 0
        var high = categories.count
        while low < high {
            let middle = (low + high) / 2
            if categories[middle] < text { low = middle + 1 } else { high = middle }
        }
        return low < categories.count && categories[low] == text ? low : nil
    }
}
