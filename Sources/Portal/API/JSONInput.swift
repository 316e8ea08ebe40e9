/// A small JSON reader for request bodies on a hot path (online reads), where Foundation's `JSONDecoder` costs more
/// than the rest of the request.
///
/// It reads only the plain documents such clients send: strings without escapes, integers that fit 64 bits, `true`,
/// `false`, `null`, arrays and objects with distinct keys. Anything else — an escape, a fraction or exponent, invalid
/// UTF-8, a duplicate key, malformed JSON — makes ``parse(_:)`` answer nil, and the caller decodes the body with
/// `JSONDecoder` instead, which accepts every valid document and words every error as the rest of the API does.
enum JSONInput: Equatable {
    case string(String)
    case integer(Int64)
    case bool(Bool)
    case null
    case array([JSONInput])
    case object([String: JSONInput])

    /// The document in `bytes`, or nil when it is not one this reader takes (see the type's description).
    static func parse(_ bytes: [UInt8]) -> JSONInput? {
        bytes.withUnsafeBufferPointer { buffer in
            var reader = Reader(bytes: buffer)
            guard let value = reader.value(depth: 0) else { return nil }
            reader.skipWhitespace()
            return reader.position == buffer.count ? value : nil
        }
    }

    /// Deeper documents are left to `JSONDecoder`.
    static let maximumDepth = 16

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        mutating func skipWhitespace() {
            while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
        }

        mutating func value(depth: Int) -> JSONInput? {
            skipWhitespace()
            guard position < bytes.count, depth < JSONInput.maximumDepth else { return nil }
            switch bytes[position] {
            case UInt8(ascii: "\""): return string().map(JSONInput.string)
            case UInt8(ascii: "{"): return object(depth: depth)
            case UInt8(ascii: "["): return array(depth: depth)
            case UInt8(ascii: "t"): return literal("true", .bool(true))
            case UInt8(ascii: "f"): return literal("false", .bool(false))
            case UInt8(ascii: "n"): return literal("null", .null)
            default: return integer()
            }
        }

        mutating func string() -> String? {
            position += 1  // the opening quote
            let start = position
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    let text = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
                    position += 1
                    return text
                }
                guard byte != UInt8(ascii: "\\"), byte >= 0x20 else { return nil }
                position += 1
            }
            return nil
        }

        mutating func integer() -> JSONInput? {
            let start = position
            if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
            let digitsStart = position
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
            let digits = position - digitsStart
            guard digits > 0, digits <= 19, !(digits > 1 && bytes[digitsStart] == UInt8(ascii: "0")) else { return nil }
            if position < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[position]) { return nil }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
            return Int64(text).map(JSONInput.integer)
        }

        mutating func literal(_ word: StaticString, _ value: JSONInput) -> JSONInput? {
            let count = word.utf8CodeUnitCount
            guard position + count <= bytes.count else { return nil }
            for index in 0..<count where bytes[position + index] != word.utf8Start[index] { return nil }
            position += count
            return value
        }

        mutating func array(depth: Int) -> JSONInput? {
            position += 1
            var elements: [JSONInput] = []
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(elements)
            }
            while true {
                guard let element = value(depth: depth + 1) else { return nil }
                elements.append(element)
                skipWhitespace()
                guard position < bytes.count else { return nil }
                position += 1
                switch bytes[position - 1] {
                case UInt8(ascii: ","): continue
                case UInt8(ascii: "]"): return .array(elements)
                default: return nil
                }
            }
        }

        mutating func object(depth: Int) -> JSONInput? {
            position += 1
            var members: [String: JSONInput] = [:]
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\""), let key = string() else { return nil }
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { return nil }
                position += 1
                guard let member = value(depth: depth + 1), members.updateValue(member, forKey: key) == nil else { return nil }
                skipWhitespace()
                guard position < bytes.count else { return nil }
                position += 1
                switch bytes[position - 1] {
                case UInt8(ascii: ","): continue
                case UInt8(ascii: "}"): return .object(members)
                default: return nil
                }
            }
        }
    }
}
