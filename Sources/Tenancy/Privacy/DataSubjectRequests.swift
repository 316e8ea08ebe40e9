public import Foundation
import PostgresClient
import Residency

/// Data-subject requests as members ask for them: export a person's data, erase a person, erase the organisation,
/// list requests and download finished exports. The work itself is done by ``DataSubjectRequestRunner``.
///
/// Who may do what: a member may export their own data; exporting anyone else's, and every erasure of a person,
/// needs `members.manage`; erasing the organisation needs the owner role. The last owner cannot be erased.
public struct DataSubjectRequests: Sendable {
    let environment: TenancyEnvironment

    /// Days a finished export can be downloaded.
    public static let exportLifetimeDays = 7

    /// Creates the service over the tenancy environment.
    public init(environment: TenancyEnvironment) { self.environment = environment }

    /// Queues an export of `subject`'s data (audited `privacy.export_requested`).
    /// - Throws: ``TenancyError/notFound(_:)`` when `subject` is not a member, or is someone else and the actor
    ///   lacks `members.manage`.
    public func requestExport(_ context: RequestContext, subject: UUID) async throws -> DataSubjectRequest {
        let actor = try context.requireUser()
        // Without members.manage another person's id is answered like an unknown one: existence is never confirmed.
        if subject != actor && !context.allows(.membersManage) { throw TenancyError.notFound("No such member") }
        return try await environment.router.withTenantTransaction(context.tenantID) { connection in
            _ = try await Self.memberRole(subject, on: connection)
            return try await insert(.export, subject: subject, context: context, action: "privacy.export_requested", on: connection)
        }
    }

    /// Queues the erasure of `subject` (audited `privacy.erasure_requested`). Only owners erase owners, and never
    /// the last one.
    public func requestErasure(_ context: RequestContext, subject: UUID) async throws -> DataSubjectRequest {
        try context.require(.membersManage)
        return try await environment.router.withTenantTransaction(context.tenantID) { connection in
            let role = try await Members.lockedRole(of: subject, on: connection)
            if role == BuiltInRole.owner.rawValue {
                guard context.role.isOwner else { throw TenancyError.forbidden("Only an owner can erase an owner") }
                try await Members.requireAnotherOwner(on: connection)
            }
            let open = try await connection.query(
                "SELECT 1 FROM data_subject_requests WHERE kind = 'erasure' AND subject_user_id = \(subject) AND status IN ('queued', 'running')"
            )
            guard open.isEmpty else { throw TenancyError.conflict("An erasure of this member is already in progress") }
            return try await insert(.erasure, subject: subject, context: context, action: "privacy.erasure_requested", on: connection)
        }
    }

    /// Queues the erasure of the whole organisation (audited `privacy.tenant_erasure_requested`). Owners only;
    /// `confirmation` must be the organisation's slug.
    public func requestTenantErasure(_ context: RequestContext, confirmation: String) async throws -> DataSubjectRequest {
        _ = try context.requireUser()
        guard context.role.isOwner else { throw TenancyError.forbidden("Only an owner can erase the organisation") }
        guard confirmation == context.tenant.slug else {
            throw TenancyError.invalid(field: "confirmation", "Type the organisation's short name '\(context.tenant.slug)' to confirm")
        }
        return try await environment.router.withTenantTransaction(context.tenantID) { connection in
            try await insert(.erasure, subject: nil, context: context, action: "privacy.tenant_erasure_requested", on: connection)
        }
    }

    /// Requests newest first: all of them with `members.manage`, otherwise those the member asked for or is the subject of.
    public func list(_ context: RequestContext) async throws -> [DataSubjectRequest] {
        let actor = try context.requireUser()
        let everyone = context.allows(.membersManage)
        return try await environment.router.withTenantTransaction(context.tenantID) { connection in
            try await connection.query(
                DataSubjectRequest.select(
                    "WHERE \(everyone) OR r.requested_by = \(actor) OR r.subject_user_id = \(actor) ORDER BY r.created_at DESC LIMIT 200"
                )
            ).map(DataSubjectRequest.init(row:))
        }
    }

    /// The finished export of request `id` as JSON, once: the sealed copy is destroyed as it is handed out
    /// (audited `privacy.export_downloaded`). The requester, the subject and members with `members.manage` may download.
    /// - Throws: ``TenancyError/notFound(_:)`` for unknown ids and exports that are not ready, already downloaded or expired.
    public func downloadExport(_ context: RequestContext, id: UUID) async throws -> Data {
        let actor = try context.requireUser()
        let key = environment.secrets.exportKey
        return try await environment.router.withTenantTransaction(context.tenantID) { connection in
            guard
                let row = try await connection.query(
                    """
                    SELECT r.requested_by, r.subject_user_id, e.sealed, e.wrapped_key
                    FROM data_exports e JOIN data_subject_requests r ON r.id = e.request_id
                    WHERE e.request_id = \(id) AND e.sealed IS NOT NULL AND e.expires_at > now() FOR UPDATE OF e
                    """
                ).first
            else { throw TenancyError.notFound("No export ready for download with that id (exports can be downloaded once, within 7 days)") }
            let requester = try row["requested_by", as: UUID?.self]
            let subject = try row["subject_user_id", as: UUID?.self]
            guard requester == actor || subject == actor || context.allows(.membersManage) else {
                throw TenancyError.notFound("No export ready for download with that id (exports can be downloaded once, within 7 days)")
            }
            let json = try ExportSealing.open(
                sealed: try row["sealed", as: [UInt8].self], wrappedKey: try row["wrapped_key", as: [UInt8].self],
                exportKey: key, tenant: context.tenantID, request: id
            )
            try await connection.execute(
                "UPDATE data_exports SET sealed = NULL, wrapped_key = NULL, downloaded_at = now() WHERE request_id = \(id)"
            )
            try await AuditLog.record(
                Self.event(context, action: "privacy.export_downloaded", target: "data_subject_request:\(id)", details: [:]),
                tenant: context.tenantID, on: connection
            )
            return Data(json)
        }
    }

    nonisolated(nonsending) private func insert(
        _ kind: DataSubjectRequest.Kind,
        subject: UUID?,
        context: RequestContext,
        action: String,
        on connection: PostgresConnection
    ) async throws -> DataSubjectRequest {
        let id = UUID()
        try await connection.execute(
            """
            INSERT INTO data_subject_requests (tenant_id, id, kind, subject_user_id, requested_by)
            VALUES (\(context.tenantID.rawValue), \(id), \(kind.rawValue), \(subject), \(context.actor.userID))
            """
        )
        let target = subject.map { "user:\($0.uuidString.lowercased())" } ?? "tenant:\(context.tenantID)"
        try await AuditLog.record(
            Self.event(context, action: action, target: target, details: ["request": id.uuidString.lowercased()]),
            tenant: context.tenantID, on: connection
        )
        return try await connection.query(DataSubjectRequest.select("WHERE r.id = \(id)")).map(DataSubjectRequest.init(row:))[0]
    }

    /// The role of a current (not erased) member.
    nonisolated(nonsending) static func memberRole(_ user: UUID, on connection: PostgresConnection) async throws -> String {
        guard let row = try await connection.query("SELECT role FROM memberships WHERE user_id = \(user)").first else {
            throw TenancyError.notFound("No such member")
        }
        return try row["role", as: String.self]
    }

    static func event(_ context: RequestContext, action: String, target: String, details: [String: String]) -> AuditEvent {
        let actor: AuditActor =
            switch context.actor {
            case .user(let id): .user(id)
            case .apiKey(let id, _): .apiKey(id)
            case .operator(let id): .platformOperator(id)
            case .system: .system
            }
        return AuditEvent(
            actor: actor, action: action, target: target, sourceIP: context.clientAddress, requestID: context.requestID, details: details
        )
    }
}
