import Foundation
public import Learning
import PostgresClient
import Residency
public import Tenancy

/// Per-variant figures of a deployment and the A/B comparison of each variant with the control.
public struct DeploymentResults: Sendable, Equatable {
    /// One variant's figures.
    public struct Variant: Sendable, Equatable {
        /// The variant, its model version and traffic weight.
        public var name: String, version: Int, weight: Int
        /// Requests answered, and those that failed (status 500 and above: the model or its replica).
        public var requests = 0, errors = 0
        /// Latency through the replica, in milliseconds.
        public var p50Milliseconds: Double?, p99Milliseconds: Double?
        /// Predictions with a true label fed back, and those whose label was right.
        public var labelled = 0, correct = 0
        /// Share of labelled predictions that were right.
        public var accuracy: Double? { labelled > 0 ? Double(correct) / Double(labelled) : nil }
        /// Predictions with a business outcome fed back, the outcomes' mean and sample variance.
        public var outcomes = 0, outcomeMean: Double?, outcomeVariance: Double?

        init(name: String, version: Int, weight: Int) {
            (self.name, self.version, self.weight) = (name, version, weight)
        }
    }

    /// One variant against the control (the variant with the largest weight).
    public struct Comparison: Sendable, Equatable {
        /// The variant compared with the control.
        public var variant: String, control: String
        /// Accuracy (two-proportion z-test), when both have labels.
        public var accuracy: SignificanceTests.Comparison?
        /// Mean outcome (Welch's t-test), when both have two outcomes or more.
        public var outcome: SignificanceTests.Comparison?
        /// Labelled predictions each side needs to detect a 5-point accuracy change with 80% power, when more are needed.
        public var labelsNeeded: Int?
    }

    /// The variants, by name.
    public var variants: [Variant]
    /// Each non-control variant against the control.
    public var comparisons: [Comparison]
}

extension Deployments {
    /// Records feedback for an answered prediction: its true `label` (classification) or a business `value`.
    /// Needs `predict` (the key that asked may tell the outcome). The latest feedback replaces earlier feedback; the
    /// shadow variants' answers to the same request get it too.
    /// - Throws: ``PlatformError/notFound(_:)`` for a request id this organisation's gateway never answered;
    ///   ``PlatformError/invalidFields(_:)`` when neither or a non-finite value is given.
    public func feedback(requestID: String, label: String?, value: Double?, log: PredictionLog, context request: RequestContext) async throws {
        try request.requirePlatform(.predict)
        guard label != nil || value != nil else { throw PlatformError.invalid(field: "label", "Send the true \"label\" or an outcome \"value\"") }
        if let value, !value.isFinite { throw PlatformError.invalid(field: "value", "The value must be a finite number") }
        if let label, label.count > 200 { throw PlatformError.invalid(field: "label", "Keep the label under 200 characters") }
        for attempt in 0..<4 {
            let updated = try await context.router.withTenantTransaction(request.tenantID) { connection in
                try await connection.query(
                    """
                    UPDATE prediction_log SET feedback_label = \(label), feedback_value = \(value), feedback_at = now()
                    WHERE request_id = \(requestID) OR shadow_of = \(requestID) RETURNING 1
                    """
                ).count
            }
            if updated > 0 { return }
            // The prediction may still wait in the log's queue, or in a batch another flush is writing right now.
            if attempt > 0 { try await Task.sleep(for: .milliseconds(100 * attempt)) }
            await log.flush()
        }
        throw PlatformError.notFound("No prediction has request id '\(String(requestID.prefix(100)))'")
    }

    /// Per-variant requests, errors, latency, feedback and the A/B comparison with the control.
    public func results(_ name: String, context request: RequestContext) async throws -> DeploymentResults {
        try request.requirePlatform(.deploymentsRead)
        let (deployment, rows) = try await context.router.withTenantTransaction(request.tenantID) { connection in
            let deployment = try await Self.load(name, on: connection)
            let rows = try await connection.query(
                """
                SELECT variant, count(*) AS requests, count(*) FILTER (WHERE status >= 500) AS errors,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99,
                       count(*) FILTER (WHERE feedback_label IS NOT NULL AND label IS NOT NULL) AS labelled,
                       count(*) FILTER (WHERE feedback_label IS NOT NULL AND feedback_label = label) AS correct,
                       count(feedback_value) AS outcomes, avg(feedback_value) AS mean, var_samp(feedback_value) AS variance
                FROM prediction_log WHERE deployment_id = \(deployment.id) GROUP BY variant
                """
            )
            return (deployment, rows)
        }
        var figures: [String: DeploymentResults.Variant] = [:]
        for row in rows {
            var figure = DeploymentResults.Variant(name: try row["variant", as: String.self], version: 0, weight: 0)
            (figure.requests, figure.errors) = (try row["requests", as: Int.self], try row["errors", as: Int.self])
            (figure.p50Milliseconds, figure.p99Milliseconds) = (try row["p50", as: Double?.self], try row["p99", as: Double?.self])
            (figure.labelled, figure.correct, figure.outcomes) = (try row["labelled", as: Int.self], try row["correct", as: Int.self], try row["outcomes", as: Int.self])
            (figure.outcomeMean, figure.outcomeVariance) = (try row["mean", as: Double?.self], try row["variance", as: Double?.self])
            figures[figure.name] = figure
        }
        let variants = deployment.variants.map { variant -> DeploymentResults.Variant in
            var figure = figures[variant.name] ?? DeploymentResults.Variant(name: variant.name, version: 0, weight: 0)
            (figure.version, figure.weight) = (variant.version, variant.weight)
            return figure
        }
        guard let control = variants.max(by: { $0.weight != $1.weight ? $0.weight < $1.weight : $0.name > $1.name }) else {
            return DeploymentResults(variants: variants, comparisons: [])
        }
        let comparisons = variants.filter { $0.name != control.name }.map { variant -> DeploymentResults.Comparison in
            var comparison = DeploymentResults.Comparison(variant: variant.name, control: control.name)
            comparison.accuracy = SignificanceTests.twoProportions(
                successesA: control.correct, trialsA: control.labelled, successesB: variant.correct, trialsB: variant.labelled)
            if let meanA = control.outcomeMean, let varianceA = control.outcomeVariance, let meanB = variant.outcomeMean, let varianceB = variant.outcomeVariance {
                comparison.outcome = SignificanceTests.welch(
                    meanA: meanA, varianceA: varianceA, countA: control.outcomes, meanB: meanB, varianceB: varianceB, countB: variant.outcomes)
            }
            let needed = SignificanceTests.sampleSize(baseline: control.accuracy ?? 0.5, effect: 0.05)
            if min(control.labelled, variant.labelled) < needed { comparison.labelsNeeded = needed }
            return comparison
        }
        return DeploymentResults(variants: variants, comparisons: comparisons)
    }
}
