public import Foundation
import Learning
import PostgresClient
import Residency
public import Tenancy

extension ModelRegistry {
    /// Asks to point `alias` at `version` (a promotion). The gates are evaluated at once: when a metric rule or a
    /// compliance check fails the request is recorded as `blocked` with every gate's outcome and nothing moves; when
    /// the gates require a reviewer it waits as `pending`; otherwise the alias moves (`applied`). Audited as
    /// `model.promotion_requested` with the outcome, and `model.alias_moved` when it moved.
    /// - Throws: ``PlatformError/notFound(_:)`` for an unknown model or version; ``PlatformError/conflict(_:)`` when
    ///   the alias already points at the version; ``PlatformError/invalidFields(_:)`` for a bad alias or reason.
    public func promote(
        version number: Int, to alias: String, reason: String = "", model name: String, project slug: String, context request: RequestContext
    ) async throws -> Promotion {
        try request.requirePlatform(.modelsPromote)
        var problems: [String: String] = [:]
        if let problem = Self.aliasProblem(alias) { problems["alias"] = problem }
        if reason.count > 1000 { problems["reason"] = "Keep the reason under 1,000 characters" }
        guard problems.isEmpty else { throw PlatformError.invalidFields(problems) }
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            let project = try await Projects.find(slug, for: request, on: connection)
            let model = try await Self.find(name, project: project.id, on: connection)
            try await connection.execute("SELECT 1 FROM registered_models WHERE id = \(model.id) FOR UPDATE")
            let candidate = try await candidate(model, version: number, alias: alias, on: connection)
            let previous = model.aliases[alias]
            if previous == number { throw PlatformError.conflict("'\(alias)' already points at version \(number)") }
            var results = try await evaluateGates(model, candidate: candidate, on: connection)
            let blocked = results.contains { !$0.passed }
            if model.gates.requireApproval && !blocked {
                results.append(GateResult(gate: "approval", passed: false, detail: "waiting for a member with models.approve other than the requester"))
            }
            let state: Promotion.State = blocked ? .blocked : model.gates.requireApproval ? .pending : .applied
            let id = UUID()
            try await connection.execute(
                """
                INSERT INTO model_promotions (tenant_id, id, model_id, version, alias, state, previous_version, gate_results, reason, requested_by,
                                              requested_by_user, decided_at)
                VALUES (\(request.tenantID.rawValue), \(id), \(model.id), \(number), \(alias), \(state.rawValue), \(previous),
                        \(try PostgresJSON(encoding: results)), \(reason), \(request.platformActor), \(request.actor.userID),
                        \(state == .pending ? nil : Date()))
                """
            )
            var details = ["promotion": id.uuidString.lowercased(), "version": String(number), "alias": alias, "outcome": state.rawValue]
            if blocked { details["failed"] = results.filter { !$0.passed }.map(\.gate).joined(separator: ",") }
            try await record("model.promotion_requested", model: model.id, details: details, request: request, on: connection)
            if state == .applied { try await moveAlias(model: model, alias: alias, to: number, from: previous, promotion: id, request: request, on: connection) }
            return try await Self.promotion(id, on: connection)
        }
    }

    /// Approves a pending promotion: the gates are evaluated again (the champion may have changed) and, when they all
    /// pass, the alias moves. The requester can never approve their own request, not even with another key.
    /// Audited as `model.promotion_approved` (or `model.promotion_blocked`) and `model.alias_moved`.
    /// - Throws: ``PlatformError/forbidden(_:)`` for the requester; ``PlatformError/conflict(_:)`` when it is not pending.
    public func approve(_ promotionID: UUID, reason: String = "", model name: String, project slug: String, context request: RequestContext) async throws -> Promotion {
        try await decide(promotionID, approve: true, reason: reason, model: name, project: slug, request: request)
    }

    /// Rejects a pending promotion; nothing moves. Audited as `model.promotion_rejected`.
    /// - Throws: as ``approve(_:reason:model:project:context:)``.
    public func reject(_ promotionID: UUID, reason: String = "", model name: String, project slug: String, context request: RequestContext) async throws -> Promotion {
        try await decide(promotionID, approve: false, reason: reason, model: name, project: slug, request: request)
    }

    private func decide(_ id: UUID, approve: Bool, reason: String, model name: String, project slug: String, request: RequestContext) async throws -> Promotion {
        try request.requirePlatform(.modelsApprove)
        guard reason.count <= 1000 else { throw PlatformError.invalid(field: "reason", "Keep the reason under 1,000 characters") }
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            let project = try await Projects.find(slug, for: request, on: connection)
            let model = try await Self.find(name, project: project.id, on: connection)
            try await connection.execute("SELECT 1 FROM registered_models WHERE id = \(model.id) FOR UPDATE")
            guard let row = try await connection.query("SELECT * FROM model_promotions WHERE id = \(id) AND model_id = \(model.id)").first else {
                throw PlatformError.notFound("Model '\(name)' has no promotion request \(id.uuidString.lowercased())")
            }
            let promotion = try Promotion(row)
            guard promotion.state == .pending else { throw PlatformError.conflict("The promotion is \(promotion.state.rawValue), not pending") }
            let requesterUser = try row["requested_by_user", as: UUID?.self]
            if promotion.requestedBy == request.platformActor || (requesterUser != nil && requesterUser == request.actor.userID) {
                throw PlatformError.forbidden("You requested this promotion; another member with models.approve must review it")
            }
            let reviewer = request.platformActor
            let reasons = [promotion.reason, reason].filter { !$0.isEmpty }.joined(separator: "\nReviewer: ")
            guard approve else {
                try await connection.execute(
                    "UPDATE model_promotions SET state = 'rejected', decided_by = \(reviewer), decided_at = now(), reason = \(reasons) WHERE id = \(id)")
                try await record(
                    "model.promotion_rejected", model: model.id, details: ["promotion": id.uuidString.lowercased(), "version": String(promotion.version), "alias": promotion.alias],
                    request: request, on: connection)
                return try await Self.promotion(id, on: connection)
            }
            let candidate = try await candidate(model, version: promotion.version, alias: promotion.alias, on: connection)
            var results = try await evaluateGates(model, candidate: candidate, on: connection)
            let blocked = results.contains { !$0.passed }
            results.append(GateResult(gate: "approval", passed: true, detail: "approved by \(reviewer)"))
            let state: Promotion.State = blocked ? .blocked : .applied
            let previous = model.aliases[promotion.alias]
            try await connection.execute(
                """
                UPDATE model_promotions SET state = \(state.rawValue), decided_by = \(reviewer), decided_at = now(), reason = \(reasons),
                       gate_results = \(try PostgresJSON(encoding: results)), previous_version = \(previous)
                WHERE id = \(id)
                """
            )
            try await record(
                blocked ? "model.promotion_blocked" : "model.promotion_approved", model: model.id,
                details: ["promotion": id.uuidString.lowercased(), "version": String(promotion.version), "alias": promotion.alias], request: request, on: connection)
            if !blocked {
                try await moveAlias(model: model, alias: promotion.alias, to: promotion.version, from: previous, promotion: id, request: request, on: connection)
            }
            return try await Self.promotion(id, on: connection)
        }
    }

    /// Points the alias at the version and records it; other pending requests for the alias stay pending (their
    /// gates are evaluated again when reviewed).
    private nonisolated(nonsending) func moveAlias(
        model: RegisteredModel, alias: String, to version: Int, from previous: Int?, promotion: UUID, request: RequestContext, on connection: PostgresConnection
    ) async throws {
        try await connection.execute(
            """
            INSERT INTO model_aliases (tenant_id, model_id, alias, version, updated_by) VALUES (\(request.tenantID.rawValue), \(model.id), \(alias), \(version), \(request.platformActor))
            ON CONFLICT (tenant_id, model_id, alias) DO UPDATE SET version = EXCLUDED.version, updated_by = EXCLUDED.updated_by, updated_at = now()
            """
        )
        try await record(
            "model.alias_moved", model: model.id,
            details: ["alias": alias, "from": previous.map(String.init) ?? "none", "to": String(version), "promotion": promotion.uuidString.lowercased()],
            request: request, on: connection)
    }

    private nonisolated(nonsending) func candidate(_ model: RegisteredModel, version number: Int, alias: String, on connection: PostgresConnection) async throws -> PromotionCandidate {
        guard let row = try await connection.query("SELECT * FROM model_versions WHERE model_id = \(model.id) AND version = \(number)").first else {
            throw PlatformError.notFound("Model '\(model.name)' has no version \(number)")
        }
        return PromotionCandidate(modelID: model.id, modelName: model.name, version: try ModelVersion(row), alias: alias)
    }

    /// Every metric rule's and (when asked for) compliance check's outcome for the candidate.
    nonisolated(nonsending) func evaluateGates(_ model: RegisteredModel, candidate: PromotionCandidate, on connection: PostgresConnection) async throws -> [GateResult] {
        var results: [GateResult] = []
        for rule in model.gates.metrics {
            let gate = "metric:" + rule.metric
            guard let value = candidate.version.metrics[rule.metric] else {
                results.append(GateResult(gate: gate, passed: false, detail: "version \(candidate.version.version) has no metric '\(rule.metric)'"))
                continue
            }
            var failures: [String] = []
            var checks: [String] = []
            func note(_ passed: Bool, _ text: String) { if passed { checks.append(text) } else { failures.append(text) } }
            if let minimum = rule.min { note(value >= minimum, "\(Self.format(value)) \(value >= minimum ? "≥" : "<") \(Self.format(minimum))") }
            if let maximum = rule.max { note(value <= maximum, "\(Self.format(value)) \(value <= maximum ? "≤" : ">") \(Self.format(maximum))") }
            if let allowed = rule.maxRegression {
                let against = rule.against ?? "champion"
                if let baseVersion = model.aliases[against], baseVersion != candidate.version.version,
                    let baseRow = try await connection.query("SELECT metrics FROM model_versions WHERE model_id = \(model.id) AND version = \(baseVersion)").first,
                    let base = try baseRow["metrics", as: PostgresJSON.self].decode([String: Double].self)[rule.metric]
                {
                    let worseBy = TrainingReport.lowerIsBetter(rule.metric) ? value - base : base - value
                    let text = "\(Self.format(value)) against \(against) v\(baseVersion)'s \(Self.format(base)) (at most \(Self.format(allowed)) worse allowed)"
                    note(worseBy <= allowed + 1e-12, text)
                } else {
                    checks.append("no \(against) with '\(rule.metric)' to compare with")
                }
            }
            let passed = failures.isEmpty
            results.append(GateResult(gate: gate, passed: passed, detail: "\(rule.metric) " + (passed ? checks : failures).joined(separator: "; ")))
        }
        if model.gates.compliance {
            for check in checks { results.append(try await check.evaluate(candidate, on: connection)) }
        }
        return results
    }

    nonisolated(nonsending) static func promotion(_ id: UUID, on connection: PostgresConnection) async throws -> Promotion {
        try Promotion(try await connection.query("SELECT * FROM model_promotions WHERE id = \(id)")[0])
    }

    static func format(_ value: Double) -> String { String(format: "%.4g", value) }
}
