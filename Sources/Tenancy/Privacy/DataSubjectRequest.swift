public import Foundation
import PostgresClient

/// A data-subject request (GDPR Art. 15/17/20, UAE PDPL): an export of one person's data, the erasure of one person,
/// or the erasure of the whole organisation. Stored in `data_subject_requests` (migration `cell/0005`) and worked
/// through by ``DataSubjectRequestRunner`` as named steps, so an interrupted request resumes where it stopped.
public struct DataSubjectRequest: Sendable, Equatable, Identifiable {
    /// What is asked.
    public enum Kind: String, Sendable, Codable { case export, erasure }
    /// Where the request stands.
    public enum Status: String, Sendable, Codable { case queued, running, done, failed }

    /// The request id.
    public var id: UUID
    /// Export or erasure.
    public var kind: Kind
    /// The person it is about; nil for the whole organisation.
    public var subjectUserID: UUID?
    /// The member who asked; nil for an operator or the system.
    public var requestedBy: UUID?
    /// Queued, running, done or failed.
    public var status: Status
    /// The last step that completed (`requested` before the first).
    public var step: String
    /// How many times the runner claimed it.
    public var attempts: Int
    /// Why the last attempt failed.
    public var error: String?
    /// When it was asked for.
    public var createdAt: Date
    /// When it finished.
    public var finishedAt: Date?
    /// The export file's state, for finished exports.
    public var export: ExportFile?

    /// Whether it erases the whole organisation.
    public var isTenantErasure: Bool { kind == .erasure && subjectUserID == nil }

    /// The sealed export of a finished export request.
    public struct ExportFile: Sendable, Equatable {
        /// Size of the JSON in bytes.
        public var sizeBytes: Int
        /// Until when it can be downloaded.
        public var expiresAt: Date
        /// When it was downloaded (it can be downloaded once).
        public var downloadedAt: Date?
        /// Whether it can still be downloaded.
        public var isAvailable: Bool
    }

    /// Requests joined with their export, filtered by `filter` (a `WHERE …` clause with its own bound values).
    static func select(_ filter: PostgresQuery) -> PostgresQuery {
        PostgresQuery(unsafeSQL: columns + " " + filter.sql, bindings: filter.bindings)
    }

    private static let columns = """
        SELECT r.id, r.kind, r.subject_user_id, r.requested_by, r.status, r.step, r.attempts, r.error, r.created_at, r.finished_at,
               e.size_bytes, e.expires_at, e.downloaded_at, (e.sealed IS NOT NULL AND e.expires_at > now()) AS is_available
        FROM data_subject_requests r LEFT JOIN data_exports e ON e.request_id = r.id
        """

    init(row: PostgresRow) throws {
        id = try row["id", as: UUID.self]
        kind = Kind(rawValue: try row["kind", as: String.self]) ?? .export
        subjectUserID = try row["subject_user_id", as: UUID?.self]
        requestedBy = try row["requested_by", as: UUID?.self]
        status = Status(rawValue: try row["status", as: String.self]) ?? .failed
        step = try row["step", as: String.self]
        attempts = try row["attempts", as: Int.self]
        error = try row["error", as: String?.self]
        createdAt = try row["created_at", as: Date.self]
        finishedAt = try row["finished_at", as: Date?.self]
        if let size = try row["size_bytes", as: Int?.self], let expires = try row["expires_at", as: Date?.self] {
            export = ExportFile(
                sizeBytes: size,
                expiresAt: expires,
                downloadedAt: try row["downloaded_at", as: Date?.self],
                isAvailable: try row["is_available", as: Bool?.self] ?? false
            )
        }
    }
}
