public import ComputeAgents
public import Foundation
import PostgresClient
import Residency
public import Tenancy

extension Deployments {
    /// How long a retired replica keeps running after it left the rotation, so the predictions already sent to it
    /// finish (the gateway's routing cache holds a deployment for 1 s; a prediction takes at most 10 s).
    public static let drainSeconds = 12.0

    /// Adds a variant to a running deployment with no traffic (give it some with the traffic editor, an A/B split or
    /// a canary; a shadow gets a copy of every request instead) and starts its replicas. Audited as
    /// `deployment.variant_added`.
    /// - Throws: ``PlatformError/invalidFields(_:)`` naming the field, ``PlatformError/conflict(_:)`` for a taken name
    ///   or a stopped deployment, ``PlatformError/notFound(_:)`` for an unknown model or version; the job queue's errors.
    public func addVariant(_ form: VariantForm, deployment name: String, jobs: JobQueue, quota: JobQuota, context request: RequestContext) async throws -> Deployment {
        try request.requirePlatform(.deploymentsWrite)
        var variant = form
        variant.weight = 0
        let (deployment, modelID, version) = try await context.router.withTenantTransaction(request.tenantID) { connection in
            let deployment = try await Self.load(name, on: connection)
            try Self.validate(DeploymentForm(name: deployment.name, variants: [variant, VariantForm(name: "x-placeholder", model: "x", weight: 100)]))
            guard deployment.state == "active" else { throw PlatformError.conflict("Deployment '\(name)' is stopped") }
            guard deployment.variants.count < 5 else { throw PlatformError.invalid(field: "name", "A deployment has at most 5 variants") }
            guard !deployment.variants.contains(where: { $0.name == variant.name }) else {
                throw PlatformError.invalid(field: "name", "The deployment has a variant '\(variant.name)' already")
            }
            let project = try await connection.query("SELECT project_id FROM deployments WHERE id = \(deployment.id)")[0]["project_id", as: UUID.self]
            let (modelID, version) = try await Self.resolve(variant, project: project, on: connection)
            try await connection.execute(
                """
                INSERT INTO deployment_variants (tenant_id, deployment_id, name, model_id, version, weight, replicas, cpu_millis, shadow)
                VALUES (\(request.tenantID.rawValue), \(deployment.id), \(variant.name), \(modelID), \(version.version), 0, \(variant.replicas), \(variant.cpuMillis),
                        \(variant.shadow))
                """
            )
            try await record(
                "deployment.variant_added", deployment.id,
                details: ["variant": variant.name, "model": variant.model, "version": String(version.version), "shadow": String(variant.shadow)], request,
                connection)
            return (deployment, modelID, version)
        }
        var started: [UUID] = []
        do {
            try await startReplicas(
                variant.replicas, of: variant, modelID: modelID, version: version, deployment: (deployment.id, deployment.name), jobs: jobs, quota: quota,
                request: request, started: &started)
        } catch {
            for job in started { _ = try? await jobs.cancel(job, context: request) }
            _ = try? await context.router.withTenantTransaction(request.tenantID) { connection in
                try await connection.execute("DELETE FROM deployment_variants WHERE deployment_id = \(deployment.id) AND name = \(variant.name)")
            }
            throw error
        }
        return try await get(name, context: request)
    }

    /// Moves a variant to another model version without dropping a prediction: replicas of the new version start next
    /// to the current ones; once every one of them serves, the serving controller switches the variant over and
    /// retires the old replicas, which drain for ``drainSeconds`` before their jobs are cancelled. Should a new replica
    /// fail, the rollout is abandoned and the old version keeps serving. Audited as `deployment.rollout_started`,
    /// then `deployment.rollout_completed` or `deployment.rollout_failed`.
    /// - Throws: ``PlatformError/conflict(_:)`` while a rollout of the variant runs, or when it already serves the
    ///   version; ``PlatformError/notFound(_:)`` for an unknown variant or version.
    public func rollOut(
        variant variantName: String, version: Int?, alias: String? = nil, deployment name: String, jobs: JobQueue, quota: JobQuota, context request: RequestContext
    ) async throws -> Deployment {
        try request.requirePlatform(.deploymentsWrite)
        let (deployment, form, modelID, target) = try await context.router.withTenantTransaction(request.tenantID) { connection in
            let deployment = try await Self.load(name, on: connection)
            try await connection.execute("SELECT 1 FROM deployments WHERE id = \(deployment.id) FOR UPDATE")
            guard deployment.state == "active" else { throw PlatformError.conflict("Deployment '\(name)' is stopped") }
            guard let variant = deployment.variants.first(where: { $0.name == variantName }) else {
                throw PlatformError.notFound("Deployment '\(name)' has no variant '\(String(variantName.prefix(40)))'")
            }
            guard variant.rolloutVersion == nil else { throw PlatformError.conflict("Variant '\(variantName)' is rolling out v\(variant.rolloutVersion!) already") }
            let row = try await connection.query("SELECT project_id, (SELECT cpu_millis FROM deployment_variants WHERE deployment_id = \(deployment.id) AND name = \(variantName)) AS cpu FROM deployments WHERE id = \(deployment.id)")[0]
            let form = VariantForm(
                name: variant.name, model: variant.model, version: version, alias: alias, weight: variant.weight, replicas: variant.replicaCount,
                cpuMillis: try row["cpu", as: Int.self], shadow: variant.isShadow)
            let (modelID, target) = try await Self.resolve(form, project: try row["project_id", as: UUID.self], on: connection)
            guard target.version != variant.version else { throw PlatformError.conflict("Variant '\(variantName)' serves v\(target.version) already") }
            try await connection.execute(
                "UPDATE deployment_variants SET rollout_version = \(target.version) WHERE deployment_id = \(deployment.id) AND name = \(variantName)")
            try await record(
                "deployment.rollout_started", deployment.id, details: ["variant": variantName, "from": String(variant.version), "to": String(target.version)], request,
                connection)
            return (deployment, form, modelID, target)
        }
        var started: [UUID] = []
        do {
            try await startReplicas(
                form.replicas, of: form, modelID: modelID, version: target, deployment: (deployment.id, deployment.name), jobs: jobs, quota: quota, request: request,
                started: &started)
        } catch {
            for job in started { _ = try? await jobs.cancel(job, context: request) }
            try? await context.router.withTenantTransaction(request.tenantID) { connection in
                try await connection.execute("UPDATE deployment_variants SET rollout_version = NULL WHERE deployment_id = \(deployment.id) AND name = \(variantName)")
                try await connection.execute("DELETE FROM deployment_replicas WHERE job_id = ANY(\(started))")
            }
            throw error
        }
        return try await get(name, context: request)
    }

    /// Moves a rollout on (run by the serving controller as Falaj itself): switches the variant once every new replica
    /// serves, abandons the rollout when one ended, and otherwise waits. What happened, or nil when none runs.
    public func advanceRollout(deployment id: UUID, variant variantName: String, context request: RequestContext) async throws -> String? {
        try await context.router.withTenantTransaction(request.tenantID) { connection -> String? in
            guard let row = try await connection.query("SELECT name FROM deployments WHERE id = \(id) FOR UPDATE").first else { return nil }
            let deployment = try await Self.load(try row["name", as: String.self], on: connection)
            guard let variant = deployment.variants.first(where: { $0.name == variantName }), let target = variant.rolloutVersion else { return nil }
            let fresh = variant.replicas.filter { $0.role == "rollout" && $0.version == target }
            if fresh.isEmpty || fresh.contains(where: { $0.state.isFinal }) {
                try await connection.execute("UPDATE deployment_variants SET rollout_version = NULL WHERE deployment_id = \(id) AND name = \(variantName)")
                try await connection.execute(
                    "UPDATE deployment_replicas SET retired_at = now() WHERE deployment_id = \(id) AND variant = \(variantName) AND version = \(target) AND retired_at IS NULL")
                let why = fresh.first(where: { $0.state.isFinal }).map { "a new replica ended (\($0.state.rawValue)): \($0.message)" } ?? "no new replica"
                try await record("deployment.rollout_failed", id, details: ["variant": variantName, "to": String(target), "reason": why], request, connection)
                return "rollout of \(variantName) to v\(target) abandoned: \(why)"
            }
            guard fresh.allSatisfy(\.isReady) else { return nil }
            try await connection.execute(
                "UPDATE deployment_variants SET version = \(target), rollout_version = NULL WHERE deployment_id = \(id) AND name = \(variantName)")
            try await connection.execute(
                """
                UPDATE deployment_replicas SET retired_at = now()
                WHERE deployment_id = \(id) AND variant = \(variantName) AND coalesce(version, \(variant.version)) <> \(target) AND retired_at IS NULL
                """
            )
            let weights = Dictionary(uniqueKeysWithValues: deployment.variants.map { ($0.name, $0.weight) })
            try await Self.recordRevision(
                id, weights: weights, reason: "variant \(variantName): v\(variant.version) → v\(target) (rollout)", request: request, on: connection)
            try await record(
                "deployment.rollout_completed", id, details: ["variant": variantName, "from": String(variant.version), "to": String(target)], request, connection)
            return "variant \(variantName) switched to v\(target)"
        }
    }

    /// Cancels the job of a replica retired more than ``drainSeconds`` ago (run by the serving controller); false while
    /// it still drains or when it is gone.
    public func drainRetiredReplica(job: UUID, jobs: JobQueue, context request: RequestContext) async throws -> Bool {
        let due = try await context.router.withTenantTransaction(request.tenantID) { connection in
            try await connection.query(
                """
                SELECT 1 FROM deployment_replicas
                WHERE job_id = \(job) AND drained_at IS NULL AND retired_at < now() - make_interval(secs => \(Self.drainSeconds))
                """
            ).count == 1
        }
        guard due else { return false }
        do {
            _ = try await jobs.cancel(job, context: request)
        } catch ComputeAgentsError.conflict {
            // Already finished: nothing to stop.
        }
        try await context.router.withTenantTransaction(request.tenantID) { connection in
            try await connection.execute("UPDATE deployment_replicas SET drained_at = now() WHERE job_id = \(job)")
        }
        return true
    }
}
