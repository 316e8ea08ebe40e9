import Foundation
import Tenancy
import HTTPTypes
import WebServer

/// JSON responses of the `/api/v1` routes: sorted keys, ISO 8601 dates, `Cache-Control: no-store`.
enum APIResponse {
    /// `value` as `application/json` with `status` (default 200). With `isConvertingKeysToSnakeCase`, keys of types
    /// shared with other modules (`minimumLength`) come out in the API's snake case (`minimum_length`).
    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, isConvertingKeysToSnakeCase: Bool = false) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if isConvertingKeysToSnakeCase { encoder.keyEncodingStrategy = .convertToSnakeCase }
        encoder.dateEncodingStrategy = .iso8601
        var response = Response.json(Array(try encoder.encode(value)), status: status)
        response.headerFields[.cacheControl] = "no-store"
        return response
    }

    /// 204 No Content.
    static var noContent: Response { Response(status: .noContent, headerFields: [.cacheControl: "no-store"]) }
}

/// Small builders for the JSON Schemas in ``APIDocumentation`` (OpenAPI 3.1 uses JSON Schema 2020-12).
enum Schema {
    /// A string, with an optional description.
    static func string(_ description: String? = nil, format: String? = nil) -> JSONValue {
        var object: [String: JSONValue] = ["type": "string"]
        if let description { object["description"] = .string(description) }
        if let format { object["format"] = .string(format) }
        return .object(object)
    }

    /// A UUID string.
    static let uuid: JSONValue = ["type": "string", "format": "uuid"]
    /// An RFC 3339 date-time string.
    static let dateTime: JSONValue = ["type": "string", "format": "date-time"]
    /// A nullable RFC 3339 date-time string.
    static let optionalDateTime: JSONValue = ["type": ["string", "null"], "format": "date-time"]
    /// An integer.
    static let integer: JSONValue = ["type": "integer"]
    /// A boolean.
    static let boolean: JSONValue = ["type": "boolean"]

    /// An array of `items`.
    static func array(_ items: JSONValue) -> JSONValue { ["type": "array", "items": items] }

    /// A permission name list.
    static let permissions: JSONValue = array(["type": "string", "enum": .array(PermissionCatalog.names.map(JSONValue.string))])

    /// An object with `properties`; `required` defaults to every property.
    static func object(_ properties: [String: JSONValue], required: [String]? = nil) -> JSONValue {
        [
            "type": "object",
            "properties": .object(properties),
            "required": .array((required ?? properties.keys.sorted()).map(JSONValue.string)),
        ]
    }
}

/// The permission names, sorted, for schemas.
enum PermissionCatalog {
    /// Every permission's name.
    static var names: [String] { Tenancy.Permission.allCases.sorted().map(\.rawValue) }
}
