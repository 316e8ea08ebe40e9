public import Foundation
import PostgresClient
import Residency
public import Tenancy

/// One traffic configuration in a deployment's history.
public struct DeploymentRevision: Sendable, Equatable {
    /// 1, 2, … in order.
    public var revision: Int
    /// Weight per variant.
    public var weights: [String: Int]
    /// Why it changed ("created", "rollback to revision 2", the caller's reason).
    public var reason: String
    /// Who changed it and when.
    public var createdBy: String, createdAt: Date
}

extension Deployments {
    /// Moves traffic between the deployment's variants (weights summing to 100) and records the new revision, in one
    /// transaction; the gateway follows within a second. A running canary ends (aborted). Audited as
    /// `deployment.traffic_changed`.
    /// - Throws: ``PlatformError/invalidFields(_:)`` for unknown variants, weights out of range or not summing to 100.
    public func setTraffic(_ weights: [String: Int], reason: String = "", deployment name: String, context request: RequestContext) async throws -> Deployment {
        try request.requirePlatform(.deploymentsWrite)
        guard reason.count <= 1000 else { throw PlatformError.invalid(field: "reason", "Keep the reason under 1,000 characters") }
        try await context.router.withTenantTransaction(request.tenantID) { connection in
            let deployment = try await Self.load(name, on: connection)
            try await Self.abortRunningCanary(deployment.id, reason: "traffic changed by hand", on: connection)
            try await apply(weights, reason: reason, to: deployment, request: request, on: connection)
        }
        return try await get(name, context: request)
    }

    /// Restores the traffic of the revision before the current one (a running canary ends, aborted); audited as
    /// `deployment.rolled_back`.
    /// - Throws: ``PlatformError/conflict(_:)`` when there is no earlier revision.
    public func rollback(_ name: String, reason: String = "", context request: RequestContext) async throws -> Deployment {
        try request.requirePlatform(.deploymentsWrite)
        try await context.router.withTenantTransaction(request.tenantID) { connection in
            let deployment = try await Self.load(name, on: connection)
            try await connection.execute("SELECT 1 FROM deployments WHERE id = \(deployment.id) FOR UPDATE")
            let revisions = try await Self.revisions(deployment.id, on: connection)
            guard revisions.count >= 2 else { throw PlatformError.conflict("Deployment '\(name)' has no earlier traffic to roll back to") }
            let previous = revisions[revisions.count - 2]
            try await Self.abortRunningCanary(deployment.id, reason: "traffic rolled back by hand", on: connection)
            let why = "rollback to revision \(previous.revision)" + (reason.isEmpty ? "" : ": \(reason)")
            try await apply(previous.weights, reason: why, to: deployment, request: request, on: connection, action: "deployment.rolled_back")
        }
        return try await get(name, context: request)
    }

    /// The deployment's traffic revisions, oldest first.
    public func history(_ name: String, context request: RequestContext) async throws -> [DeploymentRevision] {
        try request.requirePlatform(.deploymentsRead)
        return try await context.router.withTenantTransaction(request.tenantID) { connection in
            try await Self.revisions(try await Self.load(name, on: connection).id, on: connection)
        }
    }

    /// Writes `weights` to the variants and records them as the next revision.
    nonisolated(nonsending) func apply(
        _ weights: [String: Int], reason: String, to deployment: Deployment, request: RequestContext, on connection: PostgresConnection,
        action: String = "deployment.traffic_changed"
    ) async throws {
        let names = Set(deployment.variants.map(\.name))
        var problems: [String: String] = [:]
        for (variant, weight) in weights {
            if !names.contains(variant) { problems["weights.\(variant)"] = "The deployment has no variant '\(variant)'" }
            if !(0...100).contains(weight) { problems["weights.\(variant)"] = "Use a weight from 0 to 100" }
            if weight != 0, deployment.variants.contains(where: { $0.name == variant && $0.isShadow }) {
                problems["weights.\(variant)"] = "'\(variant)' is a shadow: it gets a copy of the traffic, never a share"
            }
        }
        let complete = names.reduce(into: [String: Int]()) { $0[$1] = weights[$1] ?? 0 }
        if problems.isEmpty, complete.values.reduce(0, +) != 100 {
            problems["weights"] = "The weights must add up to 100; they add up to \(complete.values.reduce(0, +))"
        }
        guard problems.isEmpty else { throw PlatformError.invalidFields(problems) }
        for (variant, weight) in complete {
            try await connection.execute("UPDATE deployment_variants SET weight = \(weight) WHERE deployment_id = \(deployment.id) AND name = \(variant)")
        }
        try await connection.execute("UPDATE deployments SET updated_at = now() WHERE id = \(deployment.id)")
        try await Self.recordRevision(deployment.id, weights: complete, reason: reason, request: request, on: connection)
        try await AuditLog.record(
            AuditEvent(
                actor: request.auditActor, action: action, target: "deployment:\(deployment.id.uuidString.lowercased())", sourceIP: request.clientAddress,
                requestID: request.requestID,
                details: ["weights": complete.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","), "reason": reason]
            ),
            tenant: request.tenantID, on: connection
        )
    }

    /// Appends a revision with the next number.
    nonisolated(nonsending) static func recordRevision(
        _ deployment: UUID, weights: [String: Int], reason: String, request: RequestContext, on connection: PostgresConnection
    ) async throws {
        try await connection.execute(
            """
            INSERT INTO deployment_revisions (tenant_id, deployment_id, revision, weights, reason, created_by)
            SELECT \(request.tenantID.rawValue), \(deployment), coalesce(max(revision), 0) + 1, \(try PostgresJSON(encoding: weights)), \(reason), \(request.platformActor)
            FROM deployment_revisions WHERE deployment_id = \(deployment)
            """
        )
    }

    nonisolated(nonsending) static func revisions(_ deployment: UUID, on connection: PostgresConnection) async throws -> [DeploymentRevision] {
        try await connection.query("SELECT * FROM deployment_revisions WHERE deployment_id = \(deployment) ORDER BY revision").map { row in
            DeploymentRevision(
                revision: try row["revision", as: Int.self], weights: try row["weights", as: PostgresJSON.self].decode([String: Int].self),
                reason: try row["reason", as: String.self], createdBy: try row["created_by", as: String.self], createdAt: try row["created_at", as: Date.self])
        }
    }
}
