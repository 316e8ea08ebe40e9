import Tabular

/// The JSON objects of the offline and online stores (`feature_values`): feature name → value, with ints and floats
/// as JSON numbers, bools, strings, timestamps as RFC 3339 strings and missing values as `null`.
enum FeatureValuesJSON {
    /// The object for `values` under `names` (same order), as compact JSON text.
    static func object(names: [String], values: [TabularValue]) -> String {
        var text = "{"
        for (index, (name, value)) in zip(names, values).enumerated() {
            if index > 0 { text += "," }
            appendString(name, to: &text)
            text += ":"
            switch value {
            case .null: text += "null"
            case .int(let number): text += String(number)
            case .float(let number): text += number.description
            case .bool(let flag): text += flag ? "true" : "false"
            case .string(let string): appendString(string, to: &text)
            case .timestamp(let microseconds): appendString(TimestampText.format(microseconds: microseconds), to: &text)
            }
        }
        return text + "}"
    }

    /// The values of a stored object for `features` (missing keys are ``TabularValue/null``); nil when the text is not
    /// a JSON object of scalars (it always is when Falaj wrote it).
    static func values(_ text: String, features: [FeatureDefinition]) -> [String: TabularValue]? {
        var reader = JSONLinesReader()
        do {
            try reader.feed(text.utf8)
            reader.finish()
            guard case .record(let record) = try reader.next() else { return nil }
            var values: [String: TabularValue] = [:]
            for feature in features {
                let scalar = record[feature.name] ?? .null
                values[feature.name] = (try? ValueParser.parse(scalar, as: feature.type)) ?? .null
            }
            return values
        } catch {
            return nil
        }
    }

    /// `string` as a JSON string literal appended to `text`.
    static func appendString(_ string: String, to text: inout String) {
        text += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}
