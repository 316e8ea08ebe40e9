public import Residency

/// Why a compute-agents operation was refused; the portal maps each case to an HTTP status.
public enum ComputeAgentsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Input failed validation; field → message (400/422).
    case invalidFields([String: String])
    /// The credential or token is unknown, expired or revoked (401).
    case unauthenticated(String)
    /// The caller may not do this (403).
    case forbidden(String)
    /// No such agent, token, job or artifact visible to the caller (404).
    case notFound(String)
    /// The request conflicts with the current state, e.g. a report from an attempt whose lease ended (409).
    case conflict(String)
    /// The tenant's plan does not allow it (402-style refusal, shown as 403 with the reason).
    case quotaExceeded(String)
    /// Residency refused the placement (the refusal is audited).
    case placementRefused(PlacementRefusal)

    /// One invalid field.
    public static func invalid(field: String, _ message: String) -> ComputeAgentsError { .invalidFields([field: message]) }

    /// A sentence for logs and error bodies.
    public var description: String {
        switch self {
        case .invalidFields(let fields): fields.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
        case .unauthenticated(let message), .forbidden(let message), .notFound(let message), .conflict(let message), .quotaExceeded(let message):
            message
        case .placementRefused(let refusal): refusal.explanation
        }
    }
}
