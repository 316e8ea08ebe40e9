public import Foundation
import PostgresClient
import Residency
public import Tenancy

/// A stored prediction request and its answer (a sampled one).
public struct PredictionPayload: Sendable, Equatable {
    /// The request id, variant and status it was answered with.
    public var requestID: String, variant: String, status: Int
    /// The request's rows as JSON, without the excluded inputs; the answer as JSON.
    public var request: String, response: String?
    /// Inputs left out because the catalog marks them sensitive.
    public var excluded: [String]
    /// When it was answered.
    public var createdAt: Date
}

extension Deployments {
    /// Sets the share of prediction requests whose inputs and outputs are stored for monitoring (0 turns it off).
    /// Inputs the project's feature catalog marks sensitive are never stored; stored payloads expire under the
    /// tenant's retention policy for `prediction_payloads`. Audited as `deployment.payload_logging_changed`.
    /// - Throws: ``PlatformError/invalidFields(_:)`` naming `sample_percent` outside 0–100.
    public func setPayloadSampling(_ percent: Double, deployment name: String, context request: RequestContext) async throws -> Deployment {
        try request.requirePlatform(.deploymentsWrite)
        guard percent >= 0, percent <= 100 else { throw PlatformError.invalid(field: "sample_percent", "Use a share from 0 to 100 percent") }
        try await context.router.withTenantTransaction(request.tenantID) { connection in
            let deployment = try await Self.load(name, on: connection)
            try await connection.execute("UPDATE deployments SET payload_sample_percent = \(percent), updated_at = now() WHERE id = \(deployment.id)")
            try await record("deployment.payload_logging_changed", deployment.id, details: ["sample_percent": String(percent)], request, connection)
        }
        return try await get(name, context: request)
    }

    /// The deployment's most recent stored payloads, newest first (at most `limit`, up to 500).
    public func payloads(_ name: String, limit: Int = 50, context request: RequestContext) async throws -> [PredictionPayload] {
        try request.requirePlatform(.deploymentsRead)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            let deployment = try await Self.load(name, on: connection)
            return try await connection.query(
                """
                SELECT request_id, variant, status, request::text AS request, response::text AS response, excluded, created_at FROM prediction_payloads
                WHERE deployment_id = \(deployment.id) ORDER BY created_at DESC, request_id LIMIT \(min(max(limit, 1), 500))
                """
            ).map { row in
                PredictionPayload(
                    requestID: try row["request_id", as: String.self], variant: try row["variant", as: String.self], status: try row["status", as: Int.self],
                    request: try row["request", as: String.self], response: try row["response", as: String?.self], excluded: try row["excluded", as: [String].self],
                    createdAt: try row["created_at", as: Date.self])
            }
        }
    }

    /// The rows of a prediction request with the `excluded` inputs removed, as JSON, and the names actually removed;
    /// nil when the body is not a JSON object with `rows` (nothing is stored then).
    public static func redacted(_ body: [UInt8], excluding excluded: Set<String>) -> (json: String, removed: [String])? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any], let rows = object["rows"] as? [[String: Any]] else { return nil }
        var removed: Set<String> = []
        let kept = rows.map { row in
            row.filter { key, _ in
                if excluded.contains(key) {
                    removed.insert(key)
                    return false
                }
                return true
            }
        }
        guard let data = try? JSONSerialization.data(withJSONObject: ["rows": kept], options: [.sortedKeys]) else { return nil }
        return (String(decoding: data, as: UTF8.self), removed.sorted())
    }
}
