import AgentProtocol
import Foundation

extension JobSubmission {
    /// The most bytes a spec may have.
    static let maximumSpecBytes = 256 * 1024

    /// Field → message for every field that is wrong; empty when the submission is valid.
    ///
    /// Field names are the JSON API's: `kind`, `name`, `spec`, `resources.cpuMillis`, `resources.memoryBytes`,
    /// `resources.gpus`, `resources.gpuType`, `resources.nodes`, `nodeSelector`, `priority`, `maxAttempts`,
    /// `timeoutSeconds`, `region`.
    func validationErrors() -> [String: String] {
        var errors: [String: String] = [:]
        if !Self.isValidKind(kind) {
            errors["kind"] = "Use lower-case dotted words such as train.command (letters, digits and _; at most 60 characters)"
        }
        if name.count > 200 { errors["name"] = "Use at most 200 characters" }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            errors["name"] = "Remove control characters"
        }
        if let message = specError() { errors["spec"] = message }
        if !(1...1_024_000).contains(resources.cpuMillis) {
            errors["resources.cpuMillis"] = "Ask for 1 to 1,024,000 thousandths of a core (1000 = one core)"
        }
        if !(0...17_592_186_044_416).contains(resources.memoryBytes) {
            errors["resources.memoryBytes"] = "Ask for 0 bytes to 16 TiB of memory"
        }
        if !(0...64).contains(resources.gpus) { errors["resources.gpus"] = "Ask for 0 to 64 GPUs per node" }
        if let gpuType = resources.gpuType {
            let trimmed = gpuType.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.count > 60 || !trimmed.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || " -_.".contains($0)) }) {
                errors["resources.gpuType"] = "Name a GPU model such as H100 (letters, digits, spaces, - _ .; at most 60 characters)"
            } else if resources.gpus == 0 {
                errors["resources.gpuType"] = "A GPU type needs at least one GPU"
            }
        }
        if !(1...64).contains(resources.nodes) { errors["resources.nodes"] = "Ask for 1 to 64 nodes" }
        if let message = nodeSelectorError() { errors["nodeSelector"] = message }
        if !(-100...100).contains(priority) { errors["priority"] = "Use a priority from -100 to 100" }
        if !(1...20).contains(maxAttempts) { errors["maxAttempts"] = "Allow 1 to 20 attempts" }
        if !(1...604_800).contains(timeoutSeconds) { errors["timeoutSeconds"] = "Use a timeout from 1 second to 7 days (604800 s)" }
        if let region, region.isEmpty || region.count > 40 { errors["region"] = "Name a region such as eu-west-1, or leave it empty" }
        return errors
    }

    /// `^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`, at most 60 characters (the `jobs.kind` check).
    static func isValidKind(_ kind: String) -> Bool {
        guard !kind.isEmpty, kind.utf8.count <= 60 else { return false }
        return kind.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { word in
            guard let first = word.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
            return word.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
            }
        }
    }

    private func specError() -> String? {
        let data = Data(specJSON.utf8)
        guard data.count <= Self.maximumSpecBytes else { return "The spec may be at most 256 KiB of JSON" }
        guard let object = try? JSONSerialization.jsonObject(with: data), object is [String: Any] else {
            return "The spec must be a JSON object"
        }
        guard kind == "train.command" else { return nil }
        guard let spec = try? JSONDecoder().decode(CommandJobSpec.self, from: data) else {
            return "A train.command spec needs \"command\" (an array of strings) and may have \"environment\" (an object of strings)"
        }
        guard let program = spec.command.first, !program.isEmpty else { return "The command must name a program to run" }
        if spec.command.count > 1000 { return "The command may have at most 1000 arguments" }
        if spec.environment.keys.contains(where: { !Self.isValidVariableName($0) }) {
            return "Environment variable names use letters, digits and _ and do not start with a digit"
        }
        return nil
    }

    private func nodeSelectorError() -> String? {
        guard nodeSelector.count <= 20 else { return "Use at most 20 labels" }
        for (key, value) in nodeSelector {
            guard Self.isValidLabel(key, allowsEmpty: false, maximum: 63) else {
                return "Label '\(String(key.prefix(40)))' is not valid: use letters, digits, . _ / - (at most 63 characters)"
            }
            guard Self.isValidLabel(value, allowsEmpty: true, maximum: 63) else {
                return "The value of label '\(String(key.prefix(40)))' is not valid: use letters, digits, . _ / - (at most 63 characters)"
            }
        }
        return nil
    }

    static func isValidLabel(_ text: String, allowsEmpty: Bool, maximum: Int) -> Bool {
        guard text.utf8.count <= maximum, allowsEmpty || !text.isEmpty else { return false }
        return text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "/"), UInt8(ascii: "-"):
                true
            default: false
            }
        }
    }

    static func isValidVariableName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first), name.utf8.count <= 200 else { return false }
        return name.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }
}
