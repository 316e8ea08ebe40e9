import AgentProtocol
public import ComputeAgents
import Foundation
import PostgresClient
import Residency
public import Tenancy

/// Deployments: stable prediction endpoints over registered model versions, served by `serve.replica` jobs on agents.
/// Reading needs `deployments.read`; making and stopping one `deployments.write` and `jobs.write` (its replicas are
/// jobs). Every change is audited.
public struct Deployments: Sendable {
    let context: PlatformContext

    /// Makes a deployment and starts its replicas (one `serve.replica` job each, recorded in the job's transaction).
    /// When a replica cannot be queued (plan limits, residency), the jobs already queued are cancelled and the
    /// deployment is removed, so nothing half-made stays.
    /// - Throws: ``PlatformError/invalidFields(_:)`` naming the field (`name`, `variants`, `variants[i].weight`, …),
    ///   ``PlatformError/notFound(_:)`` for an unknown project, model, version or alias, ``PlatformError/conflict(_:)``
    ///   for a name taken in the organisation; the job queue's errors.
    public func create(_ form: DeploymentForm, project slug: String, jobs: JobQueue, quota: JobQuota, context request: RequestContext) async throws -> Deployment {
        try request.requirePlatform(.deploymentsWrite)
        _ = try await context.router.withTenantTransaction(request.tenantID) { try await Projects.find(slug, for: request, on: $0) }
        try Self.validate(form)
        let id = UUID()
        let resolved: [(form: VariantForm, modelID: UUID, version: ModelVersion)]
        do {
            resolved = try await context.router.withTenantTransaction(request.tenantID) { connection in
                let project = try await Projects.find(slug, for: request, on: connection)
                var resolved: [(VariantForm, UUID, ModelVersion)] = []
                for variant in form.variants {
                    let (modelID, version) = try await Self.resolve(variant, project: project.id, on: connection)
                    resolved.append((variant, modelID, version))
                }
                try await connection.execute(
                    """
                    INSERT INTO deployments (tenant_id, id, project_id, name, description, created_by)
                    VALUES (\(request.tenantID.rawValue), \(id), \(project.id), \(form.name), \(form.description), \(request.platformActor))
                    """
                )
                for (variant, modelID, version) in resolved {
                    try await connection.execute(
                        """
                        INSERT INTO deployment_variants (tenant_id, deployment_id, name, model_id, version, weight, replicas, cpu_millis, shadow)
                        VALUES (\(request.tenantID.rawValue), \(id), \(variant.name), \(modelID), \(version.version), \(variant.weight), \(variant.replicas),
                                \(variant.cpuMillis), \(variant.shadow))
                        """
                    )
                }
                try await Self.recordRevision(
                    id, weights: Dictionary(uniqueKeysWithValues: form.variants.map { ($0.name, $0.weight) }), reason: "created", request: request, on: connection)
                try await record("deployment.created", id, details: ["project": project.slug, "name": form.name, "variants": String(form.variants.count)], request, connection)
                return resolved
            }
        } catch let error as PostgresError where error.sqlState == "23505" {
            throw PlatformError.conflict("The organisation has a deployment called '\(form.name)' already")
        }
        var started: [UUID] = []
        do {
            for (variant, modelID, version) in resolved {
                try await startReplicas(
                    variant.replicas, of: variant, modelID: modelID, version: version, deployment: (id, form.name), jobs: jobs, quota: quota, request: request,
                    started: &started)
            }
        } catch {
            for job in started { _ = try? await jobs.cancel(job, context: request) }
            try? await context.router.withTenantTransaction(request.tenantID) { connection in
                try await connection.execute("DELETE FROM deployment_replicas WHERE deployment_id = \(id)")
                try await connection.execute("DELETE FROM deployments WHERE id = \(id)")
            }
            throw error
        }
        return try await get(form.name, context: request)
    }

    /// The organisation's deployments, by name.
    public func list(context request: RequestContext) async throws -> [Deployment] {
        try request.requirePlatform(.deploymentsRead)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            var deployments: [Deployment] = []
            for row in try await connection.query("SELECT name FROM deployments ORDER BY name") {
                deployments.append(try await Self.load(try row["name", as: String.self], on: connection))
            }
            return deployments
        }
    }

    /// One deployment with its variants and replicas.
    /// - Throws: ``PlatformError/notFound(_:)``.
    public func get(_ name: String, context request: RequestContext) async throws -> Deployment {
        try request.requirePlatform(.deploymentsRead)
        return try await context.router.withTenantTransaction(request.tenantID) { try await Self.load(name, on: $0) }
    }

    /// The deployment as the prediction gateway routes it: needs only `predict` (the key calling the endpoint).
    /// - Throws: ``PlatformError/notFound(_:)``.
    public func route(_ name: String, context request: RequestContext) async throws -> Deployment {
        try request.requirePlatform(.predict)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            var deployment = try await Self.load(name, on: connection)
            if deployment.payloadSamplePercent > 0 { deployment.excludedInputs = try await Self.sensitiveInputs(of: deployment.id, on: connection) }
            return deployment
        }
    }

    /// Stops a deployment: cancels its replicas' jobs; the endpoint then answers 503. Audited.
    public func stop(_ name: String, jobs: JobQueue, context request: RequestContext) async throws -> Deployment {
        try request.requirePlatform(.deploymentsWrite)
        let deployment = try await get(name, context: request)
        for replica in deployment.variants.flatMap(\.replicas) where !replica.state.isFinal {
            _ = try await jobs.cancel(replica.jobID, context: request)
        }
        try await context.router.withTenantTransaction(request.tenantID) { connection in
            try await connection.execute("UPDATE deployments SET state = 'stopped', updated_at = now() WHERE id = \(deployment.id)")
            try await Self.abortRunningCanary(deployment.id, reason: "the deployment was stopped", on: connection)
            try await record("deployment.stopped", deployment.id, details: ["name": name], request, connection)
        }
        return try await get(name, context: request)
    }

    /// Queues `count` `serve.replica` jobs of `version` for the variant, each recorded in its job's transaction;
    /// appends their ids to `started` as they are queued (so a caller can cancel them when a later one fails).
    func startReplicas(
        _ count: Int, of variant: VariantForm, modelID: UUID, version: ModelVersion, deployment: (id: UUID, name: String), jobs: JobQueue, quota: JobQuota,
        request: RequestContext, started: inout [UUID]
    ) async throws {
        let spec = ServeReplicaSpec(
            model: .init(modelID: modelID, name: variant.model, version: version.version, sha256: version.sha256, format: version.format),
            deployment: deployment.id, variant: variant.name)
        for index in 0..<count {
            let submission = JobSubmission(
                kind: ServeReplicaSpec.kind, name: "\(deployment.name)/\(variant.name) v\(version.version) replica \(index + 1)",
                specJSON: String(decoding: try JSONEncoder().encode(spec), as: UTF8.self),
                resources: ResourceRequest(cpuMillis: variant.cpuMillis, memoryBytes: 256 << 20), maxAttempts: 20, timeoutSeconds: 604_800)
            let job = try await jobs.submit(submission, quota: quota, context: request) { connection, jobID in
                try await connection.execute(
                    """
                    INSERT INTO deployment_replicas (tenant_id, deployment_id, variant, job_id, version)
                    VALUES (\(request.tenantID.rawValue), \(deployment.id), \(variant.name), \(jobID), \(version.version))
                    """
                )
            }
            started.append(job.id)
        }
    }

    /// The model version a variant asks for (its version, its alias's, or the latest), built-in models only.
    /// - Throws: ``PlatformError/notFound(_:)`` for an unknown model, version or alias; ``PlatformError/invalidFields(_:)``
    ///   for a custom model.
    nonisolated(nonsending) static func resolve(
        _ variant: VariantForm, project: UUID, on connection: PostgresConnection
    ) async throws -> (modelID: UUID, version: ModelVersion) {
        let model = try await ModelRegistry.find(variant.model, project: project, on: connection)
        let number = variant.version ?? (variant.alias.flatMap { model.aliases[$0] }) ?? (variant.alias == nil ? model.latestVersion : nil)
        guard let number, let row = try await connection.query("SELECT * FROM model_versions WHERE model_id = \(model.id) AND version = \(number)").first else {
            throw PlatformError.notFound(
                "Model '\(model.name)' has no \(variant.alias.map { "alias '\($0)'" } ?? "version \(variant.version.map(String.init) ?? "yet")")")
        }
        let version = try ModelVersion(row)
        guard version.format == "falaj-model" else {
            throw PlatformError.invalid(field: "variants", "'\(model.name)' v\(number) is a custom model; agents serve built-in models only so far")
        }
        return (model.id, version)
    }

    // MARK: Helpers

    static func validate(_ form: DeploymentForm) throws(PlatformError) {
        var problems: [String: String] = [:]
        if let problem = PlatformName.deploymentNameProblem(form.name) { problems["name"] = problem }
        if form.description.count > 2000 { problems["description"] = "Keep the description under 2,000 characters" }
        if form.variants.isEmpty || form.variants.count > 5 { problems["variants"] = "Give 1 to 5 variants" }
        if Set(form.variants.map(\.name)).count != form.variants.count { problems["variants"] = "Each variant needs its own name" }
        for (index, variant) in form.variants.enumerated() {
            let field = "variants[\(index)]"
            if ModelRegistry.aliasProblem(variant.name) != nil { problems[field + ".name"] = "Use 1–40 lower-case letters, digits, '_' and '-'" }
            if !(0...100).contains(variant.weight) { problems[field + ".weight"] = "Use a weight from 0 to 100 (percent of the traffic)" }
            if !(1...16).contains(variant.replicas) { problems[field + ".replicas"] = "Use 1 to 16 replicas" }
            if !(100...64_000).contains(variant.cpuMillis) { problems[field + ".cpu_millis"] = "Use 100 to 64,000 thousandths of a core" }
            if variant.version != nil && variant.alias != nil { problems[field + ".version"] = "Give a version or an alias, not both" }
            if variant.shadow && variant.weight != 0 { problems[field + ".weight"] = "A shadow variant takes no traffic of its own (weight 0); it gets a copy" }
        }
        if problems.isEmpty, form.variants.allSatisfy(\.shadow) { problems["variants"] = "Give at least one variant that is not a shadow" }
        if problems.isEmpty, form.variants.map(\.weight).reduce(0, +) != 100 {
            problems["variants"] = "The weights must add up to 100; they add up to \(form.variants.map(\.weight).reduce(0, +))"
        }
        guard problems.isEmpty else { throw .invalidFields(problems) }
    }

    /// Names of the features the deployment's project marks `sensitive` in its catalog (any group's latest version).
    nonisolated(nonsending) static func sensitiveInputs(of deployment: UUID, on connection: PostgresConnection) async throws -> Set<String> {
        Set(
            try await connection.query(
                """
                SELECT DISTINCT f->>'name' AS name
                FROM deployments d JOIN feature_groups g ON g.project_id = d.project_id
                JOIN LATERAL (SELECT features FROM feature_group_versions v WHERE v.group_id = g.id ORDER BY v.version DESC LIMIT 1) v ON true,
                     jsonb_array_elements(v.features) f
                WHERE d.id = \(deployment) AND f->>'pii' = 'sensitive'
                """
            ).map { try $0["name", as: String.self] })
    }

    /// The deployment `name` of the transaction's tenant, with replica states from its jobs.
    nonisolated(nonsending) static func load(_ name: String, on connection: PostgresConnection) async throws -> Deployment {
        guard let row = try await connection.query(
            "SELECT d.*, p.slug FROM deployments d JOIN projects p ON p.id = d.project_id WHERE d.name = \(name)"
        ).first else { throw PlatformError.notFound("There is no deployment '\(String(name.prefix(60)))'") }
        let id = try row["id", as: UUID.self]
        let replicas = try await connection.query(
            """
            SELECT r.variant, r.job_id, j.state, j.message, r.version, r.retired_at,
                   (SELECT e.message FROM job_events e WHERE e.job_id = r.job_id AND e.attempt = j.attempt AND e.kind = 'status'
                      AND e.message LIKE \(ServeReplicaSpec.readyPrefix + "%") ORDER BY e.id DESC LIMIT 1) AS ready
            FROM deployment_replicas r JOIN jobs j ON j.id = r.job_id WHERE r.deployment_id = \(id) ORDER BY r.created_at
            """
        )
        let variantRows = try await connection.query(
            """
            SELECT v.*, m.name AS model_name FROM deployment_variants v JOIN registered_models m ON m.id = v.model_id
            WHERE v.deployment_id = \(id) ORDER BY v.name
            """
        )
        var versions: [String: Int] = [:]
        for variant in variantRows { versions[try variant["name", as: String.self]] = try variant["version", as: Int.self] }
        var byVariant: [String: [ReplicaStatus]] = [:]
        for replica in replicas {
            let name = try replica["variant", as: String.self]
            let state = JobState(rawValue: try replica["state", as: String.self]) ?? .failed
            let ready = try replica["ready", as: String?.self].map { String($0.dropFirst(ServeReplicaSpec.readyPrefix.count)) }
            let current = versions[name] ?? 0
            let version = try replica["version", as: Int?.self] ?? current  // replicas made before 0019 serve the variant's version
            let role = try replica["retired_at", as: Date?.self] != nil ? "retired" : version == current ? "current" : "rollout"
            byVariant[name, default: []].append(
                ReplicaStatus(
                    jobID: try replica["job_id", as: UUID.self], state: state, url: state == .running ? ready : nil, message: try replica["message", as: String.self],
                    version: version, role: role))
        }
        let variants = try variantRows.map { variant in
            DeploymentVariant(
                name: try variant["name", as: String.self], modelID: try variant["model_id", as: UUID.self], model: try variant["model_name", as: String.self],
                version: try variant["version", as: Int.self], weight: try variant["weight", as: Int.self], replicaCount: try variant["replicas", as: Int.self],
                rolloutVersion: try variant["rollout_version", as: Int?.self], isShadow: try variant["shadow", as: Bool.self],
                replicas: byVariant[try variant["name", as: String.self]] ?? [])
        }
        return Deployment(
            id: id, name: try row["name", as: String.self], project: try row["slug", as: String.self], description: try row["description", as: String.self],
            state: try row["state", as: String.self], variants: variants, createdBy: try row["created_by", as: String.self],
            createdAt: try row["created_at", as: Date.self], payloadSamplePercent: try row["payload_sample_percent", as: Double.self])
    }

    nonisolated(nonsending) func record(
        _ action: String, _ id: UUID, details: [String: String], _ request: RequestContext, _ connection: PostgresConnection
    ) async throws {
        try await AuditLog.record(
            AuditEvent(
                actor: request.auditActor, action: action, target: "deployment:\(id.uuidString.lowercased())", sourceIP: request.clientAddress,
                requestID: request.requestID, details: details
            ),
            tenant: request.tenantID, on: connection
        )
    }
}
