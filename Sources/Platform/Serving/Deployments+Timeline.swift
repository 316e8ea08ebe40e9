public import Foundation
import PostgresClient
import Residency
public import Tenancy

/// A deployment's recent traffic in fixed time buckets, per variant (from the prediction log).
public struct DeploymentTimeline: Sendable, Equatable {
    /// One variant's figures in one bucket.
    public struct Bucket: Sendable, Equatable {
        /// The bucket's start.
        public var start: Date
        /// Answers and failures (status 500 or above).
        public var requests: Int, errors: Int
        /// Latency percentiles, in milliseconds.
        public var p50Milliseconds: Double, p99Milliseconds: Double
    }

    /// Seconds per bucket.
    public var bucketSeconds: Int
    /// Buckets with answers, oldest first, per variant.
    public var variants: [String: [Bucket]]
}

extension Deployments {
    /// The last `minutes` of the deployment's answers in buckets of `bucketSeconds`, per variant (shadows included, as
    /// their own variants). Buckets without answers are left out.
    public func timeline(_ name: String, minutes: Int = 30, bucketSeconds: Int = 10, context request: RequestContext) async throws -> DeploymentTimeline {
        try request.requirePlatform(.deploymentsRead)
        let width = max(1, bucketSeconds)
        let rows = try await context.router.withTenantTransaction(request.tenantID) { connection in
            let deployment = try await Self.load(name, on: connection)
            return try await connection.query(
                """
                SELECT variant, to_timestamp(floor(extract(epoch FROM created_at)::float8 / \(Double(width))) * \(Double(width))) AS bucket,
                       count(*) AS requests, count(*) FILTER (WHERE status >= 500) AS errors,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99
                FROM prediction_log
                WHERE deployment_id = \(deployment.id) AND created_at > now() - make_interval(secs => \(Double(min(max(minutes, 1), 1440) * 60)))
                GROUP BY 1, 2 ORDER BY 2
                """
            )
        }
        var variants: [String: [DeploymentTimeline.Bucket]] = [:]
        for row in rows {
            variants[try row["variant", as: String.self], default: []].append(
                DeploymentTimeline.Bucket(
                    start: try row["bucket", as: Date.self], requests: try row["requests", as: Int.self], errors: try row["errors", as: Int.self],
                    p50Milliseconds: try row["p50", as: Double.self], p99Milliseconds: try row["p99", as: Double.self]))
        }
        return DeploymentTimeline(bucketSeconds: width, variants: variants)
    }
}
