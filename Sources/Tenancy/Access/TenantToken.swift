import FalajCrypto
public import Residency

/// A secret that also names its tenant: `<tenant uuid>.<43 base64url characters>` (256 random bits).
///
/// Session cookies and invitation links use it, so the server finds the tenant's cell without a global lookup; only
/// `SHA-256(secret)` is stored. Two tokens with the same secret and different tenants are how one sign-in reaches
/// several tenants (tenant switching).
public struct TenantToken: Sendable, Equatable, CustomStringConvertible {
    /// The tenant the token belongs to.
    public let tenant: TenantID
    /// The random part.
    let secret: String

    init(tenant: TenantID, secret: String) {
        self.tenant = tenant
        self.secret = secret
    }

    /// A new random token for `tenant`.
    static func generate(for tenant: TenantID) -> TenantToken { TenantToken(tenant: tenant, secret: SecureRandom.token(byteCount: 32)) }

    /// Parses the text form; `nil` for anything malformed (never throws: callers treat it as "not signed in").
    public init?(_ text: String) {
        guard text.utf8.count <= 100, let dot = text.firstIndex(of: ".") else { return nil }
        let secret = String(text[text.index(after: dot)...])
        guard let tenant = TenantID(String(text[..<dot])), secret.utf8.count == 43,
            Base64URL.decode(secret)?.count == 32
        else { return nil }
        self.tenant = tenant
        self.secret = secret
    }

    /// The same secret for another tenant (switching the active tenant of a sign-in).
    func retargeted(to tenant: TenantID) -> TenantToken { TenantToken(tenant: tenant, secret: secret) }

    /// What is stored: SHA-256 of the secret.
    var hash: [UInt8] { tokenHash(secret) }

    /// The text form, for a cookie or a link.
    public var description: String { "\(tenant).\(secret)" }
}
