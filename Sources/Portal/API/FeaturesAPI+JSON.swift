import Foundation
import Platform
import Tabular

/// A JSON scalar in a request body (push rows, entity rows): decoded exactly enough for ``ValueParser``.
struct ScalarJSON: Decodable {
    var scalar: JSONScalar

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            scalar = .null
        } else if let flag = try? container.decode(Bool.self) {
            scalar = .bool(flag)
        } else if let integer = try? container.decode(Int64.self) {
            scalar = .number(String(integer))
        } else if let number = try? container.decode(Double.self) {
            scalar = .number(number.description)
        } else if let text = try? container.decode(String.self) {
            scalar = .string(text)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "Use a string, number, boolean or null here, not an object or array")
        }
    }

    /// Rows of scalars as the platform takes them.
    static func rows(_ rows: [[String: ScalarJSON]]) -> [[String: JSONScalar]] { rows.map { $0.mapValues(\.scalar) } }
}

/// A typed value in a response: numbers, booleans, strings, timestamps as RFC 3339 strings, null.
struct TabularValueJSON: Encodable {
    var value: TabularValue

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch value {
        case .null: try container.encodeNil()
        case .int(let number): try container.encode(number)
        case .float(let number): try container.encode(number)
        case .bool(let flag): try container.encode(flag)
        case .string(let text): try container.encode(text)
        case .timestamp(let microseconds): try container.encode(TimestampText.format(microseconds: microseconds))
        }
    }
}

/// `POST …/entities`.
struct CreateEntityRequest: Decodable {
    var name: String
    var joinKey: String
    var keyType: String?
    var description: String?

    enum CodingKeys: String, CodingKey {
        case name, description
        case joinKey = "join_key", keyType = "key_type"
    }

    func form() throws -> EntityForm {
        guard let type = EntityKeyType(rawValue: keyType ?? "string") else { throw PlatformError.invalid(field: "key_type", "Use key_type string or int") }
        return EntityForm(name: name, joinKey: joinKey, keyType: type, description: description ?? "")
    }

    static let schema = Schema.object(
        [
            "name": Schema.string(), "join_key": Schema.string("The key column, e.g. customer_id"),
            "key_type": ["type": "string", "enum": ["string", "int"]], "description": Schema.string(),
        ],
        required: ["name", "join_key"]
    )
}

/// An entity as the API shows it.
struct EntityJSON: Encodable {
    var id: String
    var name: String
    var joinKey: String
    var keyType: String
    var description: String

    enum CodingKeys: String, CodingKey {
        case id, name, description
        case joinKey = "join_key", keyType = "key_type"
    }

    init(_ entity: Entity) {
        id = entity.id.uuidString.lowercased()
        name = entity.name
        joinKey = entity.joinKey
        keyType = entity.keyType.rawValue
        description = entity.description
    }

    static let schema = Schema.object([
        "id": Schema.uuid, "name": Schema.string(), "join_key": Schema.string(), "key_type": Schema.string(), "description": Schema.string(),
    ])
}

/// A feature as the API takes and shows it.
struct FeatureJSON: Codable {
    var name: String
    var type: String
    var description: String?
    var pii: String?

    init(_ feature: FeatureDefinition) {
        name = feature.name
        type = feature.type.rawValue
        description = feature.description
        pii = feature.pii.rawValue
    }

    /// The domain's definitions; field errors name `features[i].type` / `.pii`.
    static func definitions(_ features: [FeatureJSON]) throws -> [FeatureDefinition] {
        var errors: [String: String] = [:]
        let definitions = features.enumerated().compactMap { index, feature -> FeatureDefinition? in
            guard let type = ColumnType(rawValue: feature.type) else {
                errors["features[\(index)].type"] = "Use one of the types " + ColumnType.allCases.map(\.rawValue).joined(separator: ", ")
                return nil
            }
            guard let pii = PIIClassification(rawValue: feature.pii ?? "none") else {
                errors["features[\(index)].pii"] = "Use pii none, personal or sensitive"
                return nil
            }
            return FeatureDefinition(name: feature.name, type: type, description: feature.description ?? "", pii: pii)
        }
        guard errors.isEmpty else { throw PlatformError.invalidFields(errors) }
        return definitions
    }

    static let schema = Schema.object(
        [
            "name": Schema.string(), "type": ["type": "string", "enum": .array(ColumnType.allCases.map { JSONValue.string($0.rawValue) })], "description": Schema.string(),
            "pii": ["type": "string", "enum": ["none", "personal", "sensitive"]],
        ],
        required: ["name", "type"]
    )
}
