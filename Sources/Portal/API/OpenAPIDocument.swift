import Foundation
import HTTPTypes
import Tenancy
import WebServer

/// The OpenAPI 3.1 document of `/api/v1`, generated from the ``RouteCatalog`` so it cannot drift from the routes.
enum OpenAPIDocument {
    /// The error statuses every operation documents as problem documents.
    static let errorStatuses: [(code: String, description: String)] = [
        ("400", "Malformed request: bad JSON, a wrong type or a missing field"),
        ("401", "Missing, unknown, revoked or expired API key"),
        ("403", "The API key lacks the permission, or the organisation is suspended"),
        ("404", "No such object in this organisation"),
        ("422", "Field errors; the `errors` member maps each field to a message"),
    ]

    /// `/api/v1/members/:id` → `/api/v1/members/{id}`, with the parameter names in order.
    static func openAPIPath(_ pattern: String) -> (path: String, parameters: [String]) {
        var parameters: [String] = []
        let segments = pattern.split(separator: "/", omittingEmptySubsequences: false).map { segment -> String in
            guard segment.hasPrefix(":") else { return String(segment) }
            parameters.append(String(segment.dropFirst()))
            return "{\(segment.dropFirst())}"
        }
        return (segments.joined(separator: "/"), parameters)
    }

    /// The whole document for every catalog entry under `/api/v1/` that has documentation.
    static func make(from catalog: RouteCatalog) -> JSONValue {
        var paths: [String: [String: JSONValue]] = [:]
        for entry in catalog.all where entry.pattern.hasPrefix("/api/v1/") {
            guard let documentation = entry.documentation else { continue }
            let (path, parameters) = openAPIPath(entry.pattern)
            paths[path, default: [:]][entry.method.rawValue.lowercased()] = operation(entry, documentation, parameters: parameters)
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Falaj API",
                "version": "1",
                "description": "Multi-tenant ML platform. Authenticate with `Authorization: Bearer falaj_…`; errors are RFC 9457 problem documents.",
            ],
            "servers": [["url": "/"]],
            "paths": .object(paths.mapValues { JSONValue.object($0) }),
            "components": [
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer", "description": "An API key created in the portal"]],
                "schemas": ["Problem": problemSchema],
            ],
        ]
    }

    private static func operation(_ entry: RouteCatalog.Entry, _ documentation: APIDocumentation, parameters: [String]) -> JSONValue {
        var operation: [String: JSONValue] = [
            "summary": .string(documentation.summary),
            "operationId": .string(entry.method.rawValue.lowercased() + entry.pattern.replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: ":", with: "by_")),
        ]
        if !parameters.isEmpty {
            operation["parameters"] = .array(parameters.map { ["name": .string($0), "in": "path", "required": true, "schema": $0 == "id" ? Schema.uuid : Schema.string()] })
        }
        if let schema = documentation.requestSchema {
            operation["requestBody"] = ["required": true, "content": ["application/json": ["schema": schema]]]
        }
        var success: [String: JSONValue] = ["description": "Success"]
        if let schema = documentation.responseSchema { success["content"] = ["application/json": ["schema": schema]] }
        var responses: [String: JSONValue] = [String(documentation.successStatus): .object(success)]
        for (code, description) in errorStatuses {
            responses[code] = ["description": .string(description), "content": ["application/problem+json": ["schema": ["$ref": "#/components/schemas/Problem"]]]]
        }
        operation["responses"] = .object(responses)
        switch entry.access {
        case .permission(let permission):
            operation["security"] = [["bearer": []]]
            operation["x-falaj-permission"] = .string(permission.rawValue)
        case .signedIn, .platformOperator, .agent, .jobToken:
            operation["security"] = [["bearer": []]]
        case .anyone, .open, .agentEnrolment:
            operation["security"] = []
        }
        if documentation.isMemberSessionOnly { operation["x-falaj-member-session-only"] = true }
        return .object(operation)
    }

    private static let problemSchema = Schema.object(
        [
            "type": Schema.string(), "title": Schema.string(), "status": Schema.integer, "detail": Schema.string(),
            "request_id": Schema.string(), "errors": ["type": "object", "additionalProperties": ["type": "string"]],
        ],
        required: ["title", "status", "detail"]
    )
}

/// `GET /api/v1/openapi.json`.
enum OpenAPIAPI {
    /// Registers the routes, each with its access rule and documentation.
    static func add(to routes: inout PortalRoutes) {
        let catalog = routes.catalog
        routes.get(
            "/api/v1/openapi.json", access: .open,
            documentation: APIDocumentation(summary: "This OpenAPI 3.1 document", responseSchema: ["type": "object"])
        ) { _ in
            try APIResponse.json(OpenAPIDocument.make(from: catalog))
        }
    }
}
