public import Foundation
import PostgresClient
import Residency
public import Tenancy

extension Deployments {
    /// Begins a canary rollout: the candidate takes the first step's share from the baseline (every other variant
    /// gets 0), recorded as a traffic revision; the serving controller (``CanaryController``) then advances, completes
    /// or rolls it back. Audited as `deployment.canary_started`.
    /// - Throws: ``PlatformError/invalidFields(_:)`` naming the field (`candidate`, `baseline`, `steps`, …);
    ///   ``PlatformError/conflict(_:)`` when the deployment is stopped or already has a running canary.
    public func startCanary(_ form: CanaryForm, deployment name: String, context request: RequestContext) async throws -> Canary {
        try request.requirePlatform(.deploymentsWrite)
        let id = UUID()
        try await context.router.withTenantTransaction(request.tenantID) { connection in
            let deployment = try await Self.load(name, on: connection)  // an unknown deployment is 404 before any 422
            if let (field, message) = form.problems.sorted(by: { $0.key < $1.key }).first { throw PlatformError.invalid(field: field, message) }
            try await connection.execute("SELECT 1 FROM deployments WHERE id = \(deployment.id) FOR UPDATE")
            guard deployment.state == "active" else { throw PlatformError.conflict("Deployment '\(name)' is stopped") }
            guard deployment.variants.contains(where: { $0.name == form.candidate }) else {
                throw PlatformError.invalid(field: "candidate", "The deployment has no variant '\(String(form.candidate.prefix(40)))'")
            }
            guard deployment.variants.first(where: { $0.name == form.candidate })?.isShadow == false else {
                throw PlatformError.invalid(field: "candidate", "'\(form.candidate)' is a shadow; add it as a variant that takes traffic to canary it")
            }
            let others = deployment.variants.filter { $0.name != form.candidate && !$0.isShadow }
            guard let baseline = form.baseline ?? others.max(by: { $0.weight < $1.weight })?.name else {
                throw PlatformError.invalid(field: "candidate", "A canary needs a second variant to take traffic from; add one to the deployment")
            }
            guard others.contains(where: { $0.name == baseline }) else {
                throw PlatformError.invalid(field: "baseline", "The baseline must be another variant of the deployment")
            }
            let running = try await connection.query("SELECT 1 FROM deployment_canaries WHERE deployment_id = \(deployment.id) AND state = 'running'")
            guard running.isEmpty else { throw PlatformError.conflict("Deployment '\(name)' already has a canary running; abort it first") }
            let revision = try await connection.query("SELECT coalesce(max(revision), 1) AS r FROM deployment_revisions WHERE deployment_id = \(deployment.id)")[0]["r", as: Int.self]
            try await connection.execute(
                """
                INSERT INTO deployment_canaries (tenant_id, id, deployment_id, candidate, baseline, steps, bake_seconds, max_error_rate, max_p99_ms,
                                                 min_requests, revision_before, created_by)
                VALUES (\(request.tenantID.rawValue), \(id), \(deployment.id), \(form.candidate), \(baseline), \(form.steps), \(form.bakeSeconds),
                        \(form.maxErrorRate), \(form.maxP99Milliseconds), \(form.minRequests), \(revision), \(request.platformActor))
                """
            )
            let share = form.steps[0]
            try await apply(
                [form.candidate: share, baseline: 100 - share], reason: "canary of \(form.candidate), step 1 of \(form.steps.count): \(share)%",
                to: deployment, request: request, on: connection, action: "deployment.canary_started")
        }
        return try await canaries(name, context: request).first { $0.id == id }!
    }

    /// The deployment's canaries, newest first; the running one with its candidate's figures in the current step.
    public func canaries(_ name: String, context request: RequestContext) async throws -> [Canary] {
        try request.requirePlatform(.deploymentsRead)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            let deployment = try await Self.load(name, on: connection)
            var canaries = try await connection.query(
                "SELECT * FROM deployment_canaries WHERE deployment_id = \(deployment.id) ORDER BY created_at DESC LIMIT 50"
            ).map(Self.canary)
            for index in canaries.indices where canaries[index].state == "running" {
                canaries[index].stepFigures = try await Self.figures(of: canaries[index], deployment: deployment.id, on: connection)
            }
            return canaries
        }
    }

    /// Stops the running canary and restores the traffic from before it began. Audited as `deployment.canary_aborted`.
    /// - Throws: ``PlatformError/conflict(_:)`` when no canary is running.
    public func abortCanary(_ name: String, reason: String = "", context request: RequestContext) async throws -> Canary {
        try request.requirePlatform(.deploymentsWrite)
        guard reason.count <= 500 else { throw PlatformError.invalid(field: "reason", "Keep the reason under 500 characters") }
        let id = try await context.router.withTenantTransaction(request.tenantID) { connection in
            let deployment = try await Self.load(name, on: connection)
            guard let row = try await connection.query(
                "SELECT * FROM deployment_canaries WHERE deployment_id = \(deployment.id) AND state = 'running' FOR UPDATE"
            ).first else { throw PlatformError.conflict("Deployment '\(name)' has no canary running") }
            let canary = try Self.canary(row)
            let why = "canary of \(canary.candidate) aborted" + (reason.isEmpty ? "" : ": \(reason)")
            try await restoreTraffic(before: row, reason: why, deployment: deployment, request: request, on: connection, action: "deployment.canary_aborted")
            try await Self.finish(canary.id, state: "aborted", reason: reason.isEmpty ? "aborted by hand" : reason, on: connection)
            return canary.id
        }
        return try await canaries(name, context: request).first { $0.id == id }!
    }

    /// Judges a running canary against its guardrails and moves it on (see ``CanaryDecision``); nil when it is no
    /// longer running. Run by ``CanaryController`` as Falaj itself, in the tenant's transaction with the canary locked.
    public func evaluateCanary(_ id: UUID, context request: RequestContext) async throws -> CanaryDecision? {
        try await context.router.withTenantTransaction(request.tenantID) { connection in
            guard let row = try await connection.query(
                "SELECT c.*, d.name AS deployment_name FROM deployment_canaries c JOIN deployments d ON d.id = c.deployment_id WHERE c.id = \(id) AND c.state = 'running' FOR UPDATE OF c"
            ).first else { return nil }
            let canary = try Self.canary(row)
            let deployment = try await Self.load(try row["deployment_name", as: String.self], on: connection)
            let figures = try await Self.figures(of: canary, deployment: deployment.id, on: connection)
            let stepText = "step \(canary.step) of \(canary.steps.count) (\(canary.share)%)"
            if figures.requests >= canary.minRequests {
                var tripped: String?
                if figures.errorRate > canary.maxErrorRate {
                    tripped = "error rate \(Self.percent(figures.errorRate)) over \(figures.requests) answers in \(stepText) is above the \(Self.percent(canary.maxErrorRate)) guardrail"
                } else if let limit = canary.maxP99Milliseconds, let p99 = figures.p99Milliseconds, p99 > limit {
                    tripped = String(format: "p99 latency %.1f ms over %d answers in %@ is above the %.1f ms guardrail", p99, figures.requests, stepText, limit)
                }
                if let tripped {
                    try await restoreTraffic(
                        before: row, reason: "canary of \(canary.candidate) rolled back: \(tripped)", deployment: deployment, request: request, on: connection,
                        action: "deployment.canary_rolled_back")
                    try await Self.finish(canary.id, state: "rolled_back", reason: tripped, on: connection)
                    return .rolledBack(reason: tripped)
                }
            }
            guard figures.elapsedSeconds >= Double(canary.bakeSeconds), figures.requests >= canary.minRequests else { return .hold }
            let baked = String(format: "%@ baked %.0f s: %d answers, %@ errors", stepText, figures.elapsedSeconds, figures.requests, Self.percent(figures.errorRate))
                + (figures.p99Milliseconds.map { String(format: ", p99 %.1f ms", $0) } ?? "")
            if canary.step < canary.steps.count {
                let share = canary.steps[canary.step]
                try await apply(
                    [canary.candidate: share, canary.baseline: 100 - share],
                    reason: "canary of \(canary.candidate), step \(canary.step + 1) of \(canary.steps.count): \(share)% (\(baked))", to: deployment,
                    request: request, on: connection, action: "deployment.canary_advanced")
                try await connection.execute("UPDATE deployment_canaries SET step = step + 1, step_started_at = now() WHERE id = \(canary.id)")
                return .advanced(step: canary.step + 1, share: share)
            }
            if deployment.variants.first(where: { $0.name == canary.candidate })?.weight != 100 {
                try await apply(
                    [canary.candidate: 100], reason: "canary of \(canary.candidate) completed: 100% (\(baked))", to: deployment, request: request, on: connection,
                    action: "deployment.canary_completed")
            }
            try await Self.finish(canary.id, state: "completed", reason: baked, on: connection)
            return .completed
        }
    }

    /// Ends the deployment's running canary (if any) because someone changed its traffic by hand.
    nonisolated(nonsending) static func abortRunningCanary(_ deployment: UUID, reason: String, on connection: PostgresConnection) async throws {
        try await connection.execute(
            "UPDATE deployment_canaries SET state = 'aborted', reason = \(reason), finished_at = now() WHERE deployment_id = \(deployment) AND state = 'running'")
    }

    // MARK: Helpers

    /// Writes back the weights of the revision in force before the canary.
    private nonisolated(nonsending) func restoreTraffic(
        before row: PostgresRow, reason: String, deployment: Deployment, request: RequestContext, on connection: PostgresConnection, action: String
    ) async throws {
        let revision = try row["revision_before", as: Int.self]
        let weights = try await connection.query(
            "SELECT weights FROM deployment_revisions WHERE deployment_id = \(deployment.id) AND revision = \(revision)"
        ).first.map { try $0["weights", as: PostgresJSON.self].decode([String: Int].self) }
        // A variant added since counts 0; a revision lost to a bug falls back to all traffic on the baseline.
        let baseline = try row["baseline", as: String.self]
        let restored = weights ?? [baseline: 100]
        try await apply(restored, reason: reason, to: deployment, request: request, on: connection, action: action)
    }

    private nonisolated(nonsending) static func finish(_ id: UUID, state: String, reason: String, on connection: PostgresConnection) async throws {
        try await connection.execute(
            "UPDATE deployment_canaries SET state = \(state), reason = \(String(reason.prefix(1000))), finished_at = now() WHERE id = \(id)")
    }

    /// The candidate's answers logged since the step began.
    private nonisolated(nonsending) static func figures(of canary: Canary, deployment: UUID, on connection: PostgresConnection) async throws -> CanaryFigures {
        let row = try await connection.query(
            """
            SELECT count(l.*) AS requests, count(l.*) FILTER (WHERE l.status >= 500) AS errors,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY l.latency_ms) AS p99,
                   extract(epoch FROM now() - c.step_started_at)::float8 AS elapsed
            FROM deployment_canaries c
            LEFT JOIN prediction_log l ON l.deployment_id = c.deployment_id AND l.variant = c.candidate AND l.created_at >= c.step_started_at
            WHERE c.id = \(canary.id) GROUP BY c.step_started_at
            """
        )[0]
        return CanaryFigures(
            requests: try row["requests", as: Int.self], errors: try row["errors", as: Int.self], p99Milliseconds: try row["p99", as: Double?.self],
            elapsedSeconds: try row["elapsed", as: Double.self])
    }

    static func canary(_ row: PostgresRow) throws -> Canary {
        Canary(
            id: try row["id", as: UUID.self], candidate: try row["candidate", as: String.self], baseline: try row["baseline", as: String.self],
            steps: try row["steps", as: [Int].self], bakeSeconds: try row["bake_seconds", as: Int.self], maxErrorRate: try row["max_error_rate", as: Double.self],
            maxP99Milliseconds: try row["max_p99_ms", as: Double?.self], minRequests: try row["min_requests", as: Int.self], step: try row["step", as: Int.self],
            stepStartedAt: try row["step_started_at", as: Date.self], state: try row["state", as: String.self], reason: try row["reason", as: String.self],
            createdBy: try row["created_by", as: String.self], createdAt: try row["created_at", as: Date.self], finishedAt: try row["finished_at", as: Date?.self])
    }

    /// A share as a percentage for people: "5%", "37.8%".
    public static func percent(_ share: Double) -> String {
        let value = share * 100
        return value == value.rounded() ? String(format: "%.0f%%", value) : String(format: "%.1f%%", value)
    }
}
