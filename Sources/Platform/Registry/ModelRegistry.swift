import Foundation
import PostgresClient
import Residency
public import Tenancy

/// The model registry: registered models per project, immutable versions with lineage and signature, aliases, and
/// promotions through gates. Reads need `models.read`; creating models and registering versions `models.write`;
/// requesting a promotion `models.promote`; approving, rejecting and changing gates `models.approve`. Every change is
/// audited.
public struct ModelRegistry: Sendable {
    let context: PlatformContext
    /// The compliance checks a promotion runs when its model's gates ask for them (governance adds more).
    let checks: [any PromotionCheck] = [LineageCheck(), TrainingResidencyCheck()]

    /// Registers a model name in a project.
    /// - Throws: ``PlatformError/invalidFields(_:)`` naming `name`, `description` or a gate; ``PlatformError/conflict(_:)``
    ///   when the name is taken.
    public func create(
        name: String, description: String = "", gates: PromotionGates = PromotionGates(), project slug: String, context request: RequestContext
    ) async throws -> RegisteredModel {
        try request.requirePlatform(.modelsWrite)
        var problems = gates.problems.reduce(into: [String: String]()) { $0["gates." + $1.key] = $1.value }
        if let problem = PlatformName.datasetNameProblem(name) { problems["name"] = problem }
        if description.count > 2000 { problems["description"] = "Keep the description under 2,000 characters" }
        guard problems.isEmpty else { throw PlatformError.invalidFields(problems) }
        do {
            return try await context.router.withTenantTransaction(request.tenantID) { connection in
                let project = try await Projects.find(slug, for: request, on: connection)
                let id = UUID()
                try await connection.execute(
                    """
                    INSERT INTO registered_models (tenant_id, id, project_id, name, description, gates, created_by)
                    VALUES (\(request.tenantID.rawValue), \(id), \(project.id), \(name), \(description), \(try PostgresJSON(encoding: gates)), \(request.platformActor))
                    """
                )
                try await record("model.created", model: id, details: ["project": project.slug, "name": name], request: request, on: connection)
                return try await Self.find(name, project: project.id, on: connection)
            }
        } catch let error as PostgresError where error.sqlState == "23505" {
            throw PlatformError.conflict("The project has a model called '\(name)' already; register a new version of it")
        }
    }

    /// The project's registered models by name.
    public func list(project slug: String, context request: RequestContext) async throws -> [RegisteredModel] {
        try request.requirePlatform(.modelsRead)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            let project = try await Projects.find(slug, for: request, on: connection)
            return try await Self.select("WHERE m.project_id = \(project.id) ORDER BY m.name", on: connection)
        }
    }

    /// One model with its versions (newest first) and promotions (newest first).
    /// - Throws: ``PlatformError/notFound(_:)``.
    public func get(_ name: String, project slug: String, context request: RequestContext) async throws -> (RegisteredModel, [ModelVersion], [Promotion]) {
        try request.requirePlatform(.modelsRead)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            let project = try await Projects.find(slug, for: request, on: connection)
            let model = try await Self.find(name, project: project.id, on: connection)
            let versions = try await connection.query("SELECT * FROM model_versions WHERE model_id = \(model.id) ORDER BY version DESC").map(ModelVersion.init)
            let promotions = try await connection.query("SELECT * FROM model_promotions WHERE model_id = \(model.id) ORDER BY created_at DESC LIMIT 200")
                .map(Promotion.init)
            return (model, versions, promotions)
        }
    }

    /// Replaces a model's gates (`models.approve`: reviewers own the controls); audited with the old and new gates.
    public func setGates(_ gates: PromotionGates, model name: String, project slug: String, context request: RequestContext) async throws -> RegisteredModel {
        try request.requirePlatform(.modelsApprove)
        let problems = gates.problems.reduce(into: [String: String]()) { $0["gates." + $1.key] = $1.value }
        guard problems.isEmpty else { throw PlatformError.invalidFields(problems) }
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            let project = try await Projects.find(slug, for: request, on: connection)
            let model = try await Self.find(name, project: project.id, on: connection)
            let encoded = try PostgresJSON(encoding: gates)
            try await connection.execute("UPDATE registered_models SET gates = \(encoded) WHERE id = \(model.id)")
            try await record(
                "model.gates_changed", model: model.id, details: ["before": try PostgresJSON(encoding: model.gates).text, "after": encoded.text],
                request: request, on: connection)
            return try await Self.find(name, project: project.id, on: connection)
        }
    }

    /// Streams a version's file, decrypted, into `sink`; audited as `model.downloaded`.
    /// - Returns: the version, resolved before any byte is sent (so an unknown one is a 404 first).
    public func download(
        _ version: Int, of name: String, project slug: String, context request: RequestContext
    ) async throws -> (ModelVersion, stream: @Sendable (@Sendable ([UInt8]) async throws -> Void) async throws -> Void) {
        try request.requirePlatform(.modelsRead)
        let (found, blobName) = try await context.router.withTenantTransaction(request.tenantID) { connection in
            let project = try await Projects.find(slug, for: request, on: connection)
            let model = try await Self.find(name, project: project.id, on: connection)
            guard let row = try await connection.query("SELECT * FROM model_versions WHERE model_id = \(model.id) AND version = \(version)").first else {
                throw PlatformError.notFound("Model '\(name)' has no version \(version)")
            }
            try await record("model.downloaded", model: model.id, details: ["version": String(version)], request: request, on: connection)
            return (try ModelVersion(row), try row["blob_name", as: String.self])
        }
        let blobs = context.blobs
        let tenant = request.tenantID
        return (found, { sink in _ = try await blobs.get(tenant, name: blobName, into: sink) })
    }

    // MARK: Helpers

    /// Records an audit event about a model.
    nonisolated(nonsending) func record(
        _ action: String, model: UUID, details: [String: String], request: RequestContext, on connection: PostgresConnection
    ) async throws {
        try await AuditLog.record(
            AuditEvent(
                actor: request.auditActor, action: action, target: "model:\(model.uuidString.lowercased())", sourceIP: request.clientAddress,
                requestID: request.requestID, details: details
            ),
            tenant: request.tenantID, on: connection
        )
    }

    /// The model `name` of a project in the transaction's tenant, or ``PlatformError/notFound(_:)``.
    nonisolated(nonsending) static func find(_ name: String, project: UUID, on connection: PostgresConnection) async throws -> RegisteredModel {
        guard let model = try await select("WHERE m.project_id = \(project) AND m.name = \(name)", on: connection).first else {
            throw PlatformError.notFound("There is no registered model '\(String(name.prefix(60)))' in this project")
        }
        return model
    }

    /// Models with their latest version and aliases, filtered and ordered by `rest`.
    nonisolated(nonsending) static func select(_ rest: PostgresQuery, on connection: PostgresConnection) async throws -> [RegisteredModel] {
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT m.*, (SELECT max(v.version) FROM model_versions v WHERE v.model_id = m.id) AS latest_version,
                           (SELECT coalesce(jsonb_object_agg(a.alias, a.version), '{}') FROM model_aliases a WHERE a.model_id = m.id) AS aliases
                    FROM registered_models m
                    """ + " " + rest.sql,
                bindings: rest.bindings
            )
        )
        return try rows.map { row in
            RegisteredModel(
                id: try row["id", as: UUID.self], name: try row["name", as: String.self], description: try row["description", as: String.self],
                gates: try row["gates", as: PostgresJSON.self].decode(PromotionGates.self), latestVersion: try row["latest_version", as: Int?.self],
                aliases: try row["aliases", as: PostgresJSON.self].decode([String: Int].self), createdBy: try row["created_by", as: String.self],
                createdAt: try row["created_at", as: Date.self]
            )
        }
    }

    /// Why `alias` cannot name an alias, or nil: 1–40 lower-case letters, digits, `_` and `-`, starting with a letter.
    static func aliasProblem(_ alias: String) -> String? {
        let bytes = Array(alias.utf8)
        let valid = (1...40).contains(bytes.count) && (0x61...0x7A).contains(bytes[0])
            && bytes.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
        return valid ? nil : "Use 1–40 lower-case letters, digits, '_' and '-', starting with a letter (e.g. champion)"
    }
}
