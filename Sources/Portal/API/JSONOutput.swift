import Foundation
import Tabular

/// A JSON text written straight into bytes, for answers on a hot path (online reads) where Foundation's
/// `JSONEncoder` costs more than the rest of the request.
///
/// It writes exactly what ``APIResponse/json(_:status:isConvertingKeysToSnakeCase:)`` would for the same values, so
/// clients cannot tell the two apart: numbers as Swift prints them without a trailing `.0` (`1`, `0.1`, `1e-07`),
/// strings with `"`, `\`, the usual short escapes and other control characters as `\u00XX` (slashes and non-ASCII
/// as they are), dates as whole-second RFC 3339 UTC (`2026-01-01T00:00:00Z`, rounded down; proleptic Gregorian,
/// where Foundation writes dates before 1582 in the Julian calendar). Keys come out in the
/// order the caller writes them: write them sorted, as the API's encoder sorts them. Commas are placed for the
/// caller.
struct JSONOutput {
    /// The text so far.
    private(set) var bytes: [UInt8] = []
    private var needsComma = false

    /// An empty text with room for `capacity` bytes.
    init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    /// `{`; then alternate ``key(_:)`` and a value, and close with ``endObject()``.
    mutating func beginObject() { open(UInt8(ascii: "{")) }

    /// `}`.
    mutating func endObject() { close(UInt8(ascii: "}")) }

    /// `[`; then values, and close with ``endArray()``.
    mutating func beginArray() { open(UInt8(ascii: "[")) }

    /// `]`.
    mutating func endArray() { close(UInt8(ascii: "]")) }

    private mutating func open(_ bracket: UInt8) {
        separate()
        bytes.append(bracket)
        needsComma = false
    }

    private mutating func close(_ bracket: UInt8) {
        bytes.append(bracket)
        needsComma = true
    }

    /// An object key and its colon; the value follows.
    mutating func key(_ name: String) {
        string(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// A string value, escaped.
    mutating func string(_ text: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0x08: append("\\b")
            case 0x0C: append("\\f")
            case 0..<0x20:
                append("\\u00")
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// A number; `null` for NaN and infinities (which JSON cannot hold).
    mutating func number(_ value: Double) {
        guard value.isFinite else { return null() }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        raw(text)
    }

    /// An integer.
    mutating func number(_ value: Int64) {
        raw(String(value))
    }

    /// `true` or `false`.
    mutating func bool(_ value: Bool) {
        raw(value ? "true" : "false")
    }

    /// `null`.
    mutating func null() {
        raw("null")
    }

    /// A date as whole-second RFC 3339 UTC, or `null`.
    mutating func date(_ date: Date?) {
        guard let date else { return null() }
        let seconds = date.timeIntervalSince1970.rounded(.down)
        // Years 0000–9999 by calendar arithmetic; anything beyond (never a real event time) as Foundation writes it.
        guard (-62_167_219_200...253_402_300_799).contains(seconds) else { return string(date.ISO8601Format()) }
        string(TimestampText.format(microseconds: Int64(seconds) * 1_000_000))
    }

    private mutating func raw(_ text: String) {
        separate()
        append(text)
        needsComma = true
    }

    private mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
