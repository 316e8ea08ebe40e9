import Foundation
import Testing
import WebServer

/// `JSONText.quoted` writes string literals any JSON parser reads back as the same string.
struct JSONTextTests {
    @Test func quotedStringsReadBackUnchanged() throws {
        let samples = ["", "plain", "quote \" and back\\slash", "lines\r\n\ttab", "control \u{01}\u{1F}\u{7F}", "ünïcødé 日本 🚀", "a/b", "\u{2028}"]
        for sample in samples {
            let literal = JSONText.quoted(sample)
            let decoded = try JSONSerialization.jsonObject(with: Data("[\(literal)]".utf8)) as? [String]
            #expect(decoded == [sample], "\(literal)")
        }
        #expect(JSONText.quoted("\u{01}") == #""\u0001""#)
    }
}
