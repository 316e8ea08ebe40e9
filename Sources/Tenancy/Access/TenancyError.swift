/// Why a tenancy operation was refused, in words for the user. The portal maps each case to a status code and a
/// form error or problem document; nothing here reveals whether another tenant's object exists.
public enum TenancyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One or more fields are wrong: field name → message.
    case invalidFields([String: String])
    /// Nothing with that id in this tenant (also used for other tenants' ids, so existence is never confirmed).
    case notFound(String)
    /// The actor lacks a permission.
    case forbidden(String)
    /// The request conflicts with current state (duplicate name, last owner, used invitation).
    case conflict(String)
    /// No valid credentials (generic on purpose: never says whether the account exists).
    case unauthenticated(String)
    /// Too many attempts; retry after the given number of seconds.
    case throttled(String, retryAfterSeconds: Int)
    /// The tenant is suspended or being deleted.
    case tenantUnavailable(String)

    /// One field error.
    public static func invalid(field: String, _ message: String) -> TenancyError { .invalidFields([field: message]) }

    /// The message shown to the user.
    public var description: String {
        switch self {
        case .invalidFields(let fields): fields.sorted { $0.key < $1.key }.map(\.value).joined(separator: " ")
        case .notFound(let message), .forbidden(let message), .conflict(let message), .unauthenticated(let message),
            .tenantUnavailable(let message):
            message
        case .throttled(let message, _): message
        }
    }
}
