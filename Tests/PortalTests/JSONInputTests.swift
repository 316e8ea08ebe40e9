import Foundation
import Platform
import Tabular
import Testing

@testable import Portal

/// ``JSONInput`` reads plain online-read bodies without `JSONDecoder`; whatever it reads must be what `JSONDecoder`
/// reads, and whatever it declines must still get `JSONDecoder`'s answer (the same value, or the same 400).
@Suite struct JSONInputTests {
    /// The read `JSONDecoder` makes of `text`, or its error message.
    private func reference(_ text: String) -> Result<FeatureStore.OnlineRequest, APIRequestError> {
        Result { try APIBody.decode(OnlineReadRequest.self, from: Array(text.utf8)).request }.mapError { $0 as! APIRequestError }
    }

    private func fast(_ text: String) -> Result<FeatureStore.OnlineRequest, APIRequestError> {
        Result { try OnlineReadRequest.decode(Array(text.utf8)) }.mapError { $0 as! APIRequestError }
    }

    private func sameAnswer(_ text: String) -> Bool {
        switch (fast(text), reference(text)) {
        case (.success(let a), .success(let b)): a == b
        case (.failure(let a), .failure(let b)): a.publicMessage == b.publicMessage && a.field == b.field && a.status == b.status
        default: false
        }
    }

    @Test func plainDocumentsAreReadWithoutTheDecoderAndAsItWould() throws {
        let plain = #" { "project" : "p1", "entity_rows": [{"customer_id": "c1", "n": -42, "ok": true, "none": null}, {}],"#
            + #" "features": ["profile:f1", "profile:*"], "feature_service": null, "ignored": {"deep": [1, 2, {"x": false}]} }"#
        guard case .object(let members)? = JSONInput.parse(Array(plain.utf8)) else {
            Issue.record("a plain body must be read by JSONInput")
            return
        }
        #expect(members["project"] == .string("p1"))
        #expect(sameAnswer(plain))
        #expect(try fast(plain).get().entityRows[0] == ["customer_id": .string("c1"), "n": .number("-42"), "ok": .bool(true), "none": .null])
        // Random plain bodies: the two readers agree on every one.
        for _ in 0..<300 {
            let rows = (0..<Int.random(in: 1...5)).map { _ in
                "{" + (0..<Int.random(in: 0...3)).map { index in
                    let value = ["\"k\(Int.random(in: 0...99_999))\"", String(Int64.random(in: .min ... .max)), "true", "false", "null", "\"é😀 x\""].randomElement()!
                    return "\"key\(index)\": \(value)"
                }.joined(separator: ",") + "}"
            }
            let features = (0..<Int.random(in: 0...4)).map { "\"g\($0):f\(Int.random(in: 0...9))\"" }
            let service = Bool.random() ? #", "feature_service": "svc""# : ""
            let text = #"{"project":"p","entity_rows":[\#(rows.joined(separator: ","))],"features":[\#(features.joined(separator: ","))]\#(service)}"#
            #expect(JSONInput.parse(Array(text.utf8)) != nil)
            #expect(sameAnswer(text), "\(text)")
        }
    }

    @Test func whatItDeclinesStillGetsTheDecodersAnswer() throws {
        let declined = [
            #"{"project":"p\u0031","entity_rows":[{"id":"a\"b"}],"features":["g:f"]}"#,  // escapes
            #"{"project":"p","entity_rows":[{"id":1.5}],"features":["g:f"]}"#,  // a fraction
            #"{"project":"p","entity_rows":[{"id":1e3}],"features":["g:f"]}"#,  // an exponent
            #"{"project":"p","entity_rows":[{"id":12345678901234567890}],"features":["g:f"]}"#,  // beyond Int64
            #"{"project":"p","project":"q","entity_rows":[],"features":[]}"#,  // a duplicate key
            #"{"project":"p","entity_rows":[],}"#,  // a trailing comma, which JSONDecoder takes
        ]
        for text in declined {
            #expect(sameAnswer(text), "\(text)")
        }
        #expect(JSONInput.parse(Array(#"{"a":"x\"y"}"#.utf8)) == nil)
        #expect(JSONInput.parse([0x22, 0xFF, 0x22]) == nil)  // invalid UTF-8
        #expect(JSONInput.parse(Array(String(repeating: "[", count: 40).utf8) + Array(String(repeating: "]", count: 40).utf8)) == nil)
    }

    @Test func badBodiesGetTheSameErrorAsBefore() throws {
        let bad = [
            "", "not json", "{", #"{"project":"p"}"#, #"{"project":1,"entity_rows":[]}"#, #"{"project":"p","entity_rows":{}}"#,
            #"{"project":"p","entity_rows":[1]}"#, #"{"project":"p","entity_rows":[{"id":[1]}]}"#, #"{"project":"p","entity_rows":[],"features":"g:f"}"#,
            #"{"project":"p","entity_rows":[],"features":[1]}"#, #"{"project":"p","entity_rows":[],"feature_service":true}"#, "[]", "null",
            #"{"project":"p","entity_rows":[]} trailing"#, #"{"project":"p" "entity_rows":[]}"#, "01",
        ]
        for text in bad {
            #expect(throws: APIRequestError.self, "\(text)") { try OnlineReadRequest.decode(Array(text.utf8)) }
            #expect(sameAnswer(text), "\(text)")
        }
    }
}
