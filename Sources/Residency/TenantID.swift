public import Foundation

/// A tenant's identity: a random UUID assigned at sign-up, the key of `tenants` in the directory and the value of
/// `app.tenant_id` in every cell transaction.
public struct TenantID: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    /// The UUID.
    public let rawValue: UUID

    /// Wraps an existing UUID.
    public init(_ rawValue: UUID) { self.rawValue = rawValue }

    /// Parses the canonical text form; `nil` when it is not a UUID.
    public init?(_ text: String) {
        guard let uuid = UUID(uuidString: text) else { return nil }
        self.rawValue = uuid
    }

    /// A new random id.
    public static func generate() -> TenantID { TenantID(UUID()) }

    /// The lower-case canonical text form, as Postgres prints uuids.
    public var description: String { rawValue.uuidString.lowercased() }

    /// Orders by text form (stable for display and tests).
    public static func < (lhs: TenantID, rhs: TenantID) -> Bool { lhs.description < rhs.description }
}
