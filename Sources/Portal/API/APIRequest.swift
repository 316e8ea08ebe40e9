import Foundation
import HTTPTypes
import Tenancy
import WebServer

/// A malformed API request: wrong content type, unreadable JSON, a wrong type or a missing field. Rendered as a
/// problem document; `field` (when known) also appears in its `errors` member.
struct APIRequestError: HTTPResponseError, Sendable {
    /// 400 or 415.
    let status: HTTPResponse.Status
    /// What was wrong, naming the field.
    let publicMessage: String
    /// The JSON field at fault, when there is one.
    var field: String?

    /// Field name → message, for the problem document's `errors` member.
    var fieldErrors: [String: String] { field.map { [$0: publicMessage] } ?? [:] }
}

/// Reading JSON request bodies and path ids for the `/api/v1` routes.
enum APIBody {
    /// The largest JSON body accepted (64 KiB): API requests are small; uploads will have their own routes.
    static let maximumSize = 65_536

    /// Decodes `bytes` as `T`.
    /// - Throws: ``APIRequestError`` 400 naming the field for bad JSON, wrong types and missing fields.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], decoder: JSONDecoder = JSONDecoder()) throws -> T {
        do {
            return try decoder.decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw APIRequestError.describing(error)
        }
    }
}

extension Request {
    /// Decodes the body as `T` after checking `Content-Type: application/json` and the size limit.
    /// - Throws: ``APIRequestError`` 415 for another content type, 400 naming the field for bad JSON, wrong types
    ///   and missing fields; ``HTTPError`` 413 when the body exceeds ``APIBody/maximumSize``.
    func decodeJSON<T: Decodable>(_ type: T.Type = T.self, decoder: JSONDecoder = JSONDecoder(), maximumSize: Int = APIBody.maximumSize) async throws -> T {
        try APIBody.decode(T.self, from: try await jsonBody(maximumSize: maximumSize), decoder: decoder)
    }

    /// The body's bytes after checking `Content-Type: application/json` and the size limit.
    /// - Throws: ``APIRequestError`` 415 for another content type; ``HTTPError`` 413 when the body exceeds `maximumSize`.
    func jsonBody(maximumSize: Int = APIBody.maximumSize) async throws -> [UInt8] {
        let contentType = (headerFields[.contentType] ?? "").split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
        guard contentType == "application/json" else {
            throw APIRequestError(status: .unsupportedMediaType, publicMessage: "Send the body as JSON with 'Content-Type: application/json'")
        }
        return try await body.collect(upTo: maximumSize)
    }

    /// The UUID in path parameter `name`. Anything that is not a UUID is answered exactly like an unknown id.
    /// - Throws: ``TenancyError/notFound(_:)`` with `notFound`.
    func pathID(_ name: String = "id", notFound: String) throws -> UUID {
        guard let text = parameters[name], let id = UUID(uuidString: text) else { throw TenancyError.notFound(notFound) }
        return id
    }

    /// `https://host` or `http://host` as the client addressed this server, for links in responses.
    var baseURL: String { (isSecure ? "https://" : "http://") + (head.authority ?? "localhost") }
}

extension APIRequestError {
    /// A 400 that names the field a `DecodingError` is about.
    static func describing(_ error: DecodingError) -> APIRequestError {
        func name(_ path: [any CodingKey]) -> String? {
            guard !path.isEmpty else { return nil }
            return path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = name(context.codingPath + [key]) ?? key.stringValue
            return APIRequestError(status: .badRequest, publicMessage: "'\(field)' is missing", field: field)
        case .typeMismatch(let type, let context):
            guard let field = name(context.codingPath) else {
                return APIRequestError(status: .badRequest, publicMessage: "The body must be a JSON object")
            }
            return APIRequestError(status: .badRequest, publicMessage: "'\(field)' must be \(Self.noun(for: type))", field: field)
        case .valueNotFound(let type, let context):
            guard let field = name(context.codingPath) else {
                return APIRequestError(status: .badRequest, publicMessage: "The body must be a JSON object")
            }
            return APIRequestError(status: .badRequest, publicMessage: "'\(field)' must be \(Self.noun(for: type)), not null", field: field)
        case .dataCorrupted(let context):
            guard let field = name(context.codingPath) else {
                return APIRequestError(status: .badRequest, publicMessage: "The body is not valid JSON")
            }
            return APIRequestError(status: .badRequest, publicMessage: "'\(field)' has a value that cannot be read", field: field)
        @unknown default:
            return APIRequestError(status: .badRequest, publicMessage: "The body could not be read as JSON")
        }
    }

    private static func noun(for type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Double.Type, is Int64.Type: "a number"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is [Any].Type, is [String].Type: "an array"
        default: "\(type)".hasPrefix("Array") ? "an array" : "an object"
        }
    }
}
