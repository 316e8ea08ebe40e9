public import Foundation

/// A JSON document bound as `jsonb` and read from `json`/`jsonb` columns, kept as raw text.
///
/// ```swift
/// try await connection.execute("INSERT INTO settings (body) VALUES (\(try PostgresJSON(encoding: settings)))")
/// let settings = try row["body", as: PostgresJSON.self].decode(Settings.self)
/// ```
public struct PostgresJSON: Sendable, Hashable, PostgresEncodable, PostgresDecodable {
    /// The document's JSON text.
    public var text: String

    /// Wraps JSON text as is (the server validates it when it is bound).
    public init(text: String) {
        self.text = text
    }

    /// Encodes `value` with `encoder`.
    /// - Parameters:
    ///   - value: the value to encode.
    ///   - encoder: the encoder; default a plain `JSONEncoder` with sorted keys.
    public init<Value: Encodable>(encoding value: Value, encoder: JSONEncoder = PostgresJSON.defaultEncoder()) throws {
        self.text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// The JSON text as UTF-8 bytes.
    public var data: Data { Data(text.utf8) }

    /// Decodes the document with `decoder`.
    /// - Parameters:
    ///   - type: the type to decode.
    ///   - decoder: the decoder; default a plain `JSONDecoder`.
    public func decode<Value: Decodable>(_ type: Value.Type, decoder: JSONDecoder = JSONDecoder()) throws -> Value {
        try decoder.decode(type, from: data)
    }

    /// A `JSONEncoder` with sorted keys, so equal values encode to equal text.
    public static func defaultEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    /// `jsonb`.
    public static var postgresDataType: PostgresDataType { .jsonb }
    /// The JSON text.
    public var postgresText: String? { text }

    /// Any `json` or `jsonb` column (or text holding JSON).
    public init(postgresText text: String, type: PostgresDataType) throws {
        self.text = text
    }
}
