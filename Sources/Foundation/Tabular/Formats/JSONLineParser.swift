/// A strict parser for one JSON-lines line: exactly one flat JSON object (RFC 8259) whose values are scalars.
///
/// Lives only for the duration of one line; the caller lends it a scratch buffer for strings with escapes.
struct JSONLineParser {
    /// Why a line was refused, with the key it concerns when there is one.
    struct Failure: Error {
        var code: TabularError.Code
        var key: String?
        var reason: String
    }

    let bytes: UnsafeBufferPointer<UInt8>
    let limits: ReaderLimits
    var scratch: [UInt8]
    /// The keys of the previous well-formed line, which are unique: while this line repeats them in the same order its
    /// keys need no duplicate search (the common case, since most files write every object alike).
    let previousKeys: [String]
    private var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>, limits: ReaderLimits, scratch: [UInt8], previousKeys: [String]) {
        self.bytes = bytes
        self.limits = limits
        self.scratch = scratch
        self.previousKeys = previousKeys
    }

    /// Parses the whole line as one object.
    mutating func parseObject() throws(Failure) -> [JSONField] {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else {
            throw syntaxError("each line must hold one JSON object, starting with '{'")
        }
        index += 1
        var fields: [JSONField] = []
        var seenKeys: Set<String> = []
        var isRepeatingPreviousKeys = true
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw syntaxError("expected a key in double quotes") }
                let key = try parseString(key: nil)
                if key.isEmpty { throw Failure(code: .invalidColumnName, key: nil, reason: "an empty key cannot name a column") }
                if key.utf8.count > limits.maxColumnNameLength && key.count > limits.maxColumnNameLength {
                    throw Failure(
                        code: .invalidColumnName,
                        key: nil,
                        reason: "the key \(MessageText.quoted(key)) is longer than \(limits.maxColumnNameLength) characters"
                    )
                }
                skipWhitespace()
                guard peek() == UInt8(ascii: ":") else { throw syntaxError("expected ':' after the key '\(key)'") }
                index += 1
                skipWhitespace()
                let value = try parseValue(key: key)
                // While the line repeats the previous line's keys (unique) in order, its keys are unique too.
                let position = fields.count
                isRepeatingPreviousKeys = isRepeatingPreviousKeys && position < previousKeys.count && previousKeys[position] == key
                if !isRepeatingPreviousKeys { try checkNotDuplicate(key, among: fields, seenKeys: &seenKeys) }
                guard fields.count < limits.maxColumns else {
                    throw Failure(code: .tooManyColumns, key: nil, reason: "the object has more than \(MessageText.grouped(limits.maxColumns)) keys")
                }
                fields.append(JSONField(key: key, value: value))
                skipWhitespace()
                if peek() == UInt8(ascii: ",") {
                    index += 1
                } else if peek() == UInt8(ascii: "}") {
                    index += 1
                    break
                } else {
                    throw syntaxError("expected ',' or '}' after the value of '\(key)'")
                }
            }
        }
        skipWhitespace()
        guard index == bytes.count else { throw syntaxError("text follows the end of the object") }
        return fields
    }

    private mutating func parseValue(key: String) throws(Failure) -> JSONScalar {
        switch peek() {
        case UInt8(ascii: "\""): return .string(try parseString(key: key))
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let kind = peek() == UInt8(ascii: "{") ? "an object" : "an array"
            throw Failure(
                code: .nestedValue,
                key: key,
                reason: "the value is \(kind); nested objects and arrays are not supported, so flatten them into separate keys"
            )
        case UInt8(ascii: "t"):
            try expectWord("true", key: key)
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectWord("false", key: key)
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectWord("null", key: key)
            return .null
        default: return .number(try parseNumber(key: key))
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, returned as written.
    private mutating func parseNumber(key: String) throws(Failure) -> String {
        let start = index
        func digits() -> Int {
            let first = index
            while let byte = peek(), byte &- UInt8(ascii: "0") < 10 { index += 1 }
            return index - first
        }
        if peek() == UInt8(ascii: "-") { index += 1 }
        let leadingZero = peek() == UInt8(ascii: "0")
        let integerDigits = digits()
        var isValid = integerDigits > 0 && !(leadingZero && integerDigits > 1)
        if isValid && peek() == UInt8(ascii: ".") {
            index += 1
            isValid = digits() > 0
        }
        if isValid, let byte = peek(), byte | 0x20 == UInt8(ascii: "e") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            isValid = digits() > 0
        }
        guard isValid else { throw syntaxError("the value of '\(key)' is not a JSON value (strings need double quotes)") }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    }

    /// A string starting at the current quote; `key` is the key it is the value of (`nil` when it is a key).
    private mutating func parseString(key: String?) throws(Failure) -> String {
        index += 1
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            index += 1
        }
        if index < bytes.count && bytes[index] == UInt8(ascii: "\"") {
            let raw = UnsafeBufferPointer(rebasing: bytes[start..<index])
            index += 1
            return try makeString(raw, key: key)
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\"") {
                let decoded = scratch
                return try decoded.withUnsafeBufferPointer { (raw) throws(Failure) in try makeString(raw, key: key) }
            }
            if byte < 0x20 { throw syntaxError("a string holds an unescaped control character; write it as an escape such as \\n") }
            guard byte == UInt8(ascii: "\\") else {
                scratch.append(byte)
                continue
            }
            guard let escaped = peek() else { break }
            index += 1
            switch escaped {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(escaped)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"): scratch.append(contentsOf: try parseUnicodeEscape())
            default: throw syntaxError("a string holds the unknown escape '\\\(Unicode.Scalar(escaped))'")
            }
        }
        throw syntaxError("a string is never closed")
    }

    /// The UTF-8 bytes of a `\uXXXX` escape (after the `u`), pairing surrogates.
    private mutating func parseUnicodeEscape() throws(Failure) -> [UInt8] {
        guard let high = hexQuad() else { throw syntaxError("a \\u escape needs four hex digits") }
        var value = UInt32(high)
        if (0xD800...0xDBFF).contains(high) {
            guard peek() == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                throw syntaxError("a \\u escape holds half of a surrogate pair")
            }
            index += 2
            guard let low = hexQuad(), (0xDC00...0xDFFF).contains(low) else { throw syntaxError("a \\u escape holds half of a surrogate pair") }
            value = 0x10000 + ((UInt32(high) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(value) else { throw syntaxError("a \\u escape holds half of a surrogate pair") }
        return Array(String(Character(scalar)).utf8)
    }

    private mutating func hexQuad() -> UInt16? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let digit = Self.hexValue(bytes[index]) else { return nil }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private func makeString(_ raw: UnsafeBufferPointer<UInt8>, key: String?) throws(Failure) -> String {
        if let key, raw.count > limits.maxFieldBytes {
            throw Failure(code: .fieldTooLong, key: key, reason: "the value is longer than the limit of \(MessageText.bytes(limits.maxFieldBytes))")
        }
        guard let text = UTF8Text.validatedString(raw) else {
            throw Failure(code: .invalidUTF8, key: key, reason: key == nil ? "a key is not valid UTF-8 text" : "the value is not valid UTF-8 text")
        }
        return text
    }

    private mutating func expectWord(_ word: StaticString, key: String) throws(Failure) {
        let length = word.utf8CodeUnitCount
        guard index + length <= bytes.count,
            UnsafeBufferPointer(rebasing: bytes[index..<index + length]).elementsEqual(UnsafeBufferPointer(start: word.utf8Start, count: length))
        else { throw syntaxError("the value of '\(key)' is not a JSON value (strings need double quotes)") }
        index += length
    }

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A { index += 1 }
    }

    /// Refuses `key` when `fields` already has it; past 32 keys a set replaces the linear search.
    private func checkNotDuplicate(_ key: String, among fields: [JSONField], seenKeys: inout Set<String>) throws(Failure) {
        let isDuplicate: Bool
        if fields.count >= 32 {
            if seenKeys.isEmpty { seenKeys = Set(fields.map(\.key)) }
            isDuplicate = !seenKeys.insert(key).inserted
        } else {
            isDuplicate = fields.contains(where: { $0.key == key })
        }
        if isDuplicate { throw Failure(code: .duplicateKey, key: key, reason: "the key appears more than once in the object") }
    }

    private func syntaxError(_ detail: String) -> Failure {
        Failure(code: .invalidJSON, key: nil, reason: "the line is not valid JSON: \(detail) (at byte \(index + 1))")
    }
}
