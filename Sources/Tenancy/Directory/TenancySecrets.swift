import FalajCrypto

/// Keys derived from the installation's master secret (`FALAJ_SECRET_KEY` or `<data-dir>/secret.key`).
///
/// Every control-plane replica must share the master secret: login routing, CSRF tokens and sealed MFA secrets depend
/// on it. Sub-keys are HMAC-SHA256(master, purpose), so one leaked sub-key reveals nothing about the others.
public struct TenancySecrets: Sendable {
    /// Keys the e-mail HMAC of the directory's login routes and the throttle keys.
    let loginIndexKey: [UInt8]
    /// Signs CSRF tokens.
    public let csrfKey: [UInt8]
    /// Seals TOTP secrets at rest (AES-256-GCM).
    let mfaKey: [UInt8]
    /// Seals the per-export keys of data-subject exports (AES-256-GCM).
    let exportKey: [UInt8]

    /// Derives the sub-keys.
    /// - Parameter master: at least 32 random bytes.
    public init(master: [UInt8]) throws(TenancyError) {
        guard master.count >= 32 else { throw TenancyError.invalid(field: "secret", "The master secret must be at least 32 bytes") }
        loginIndexKey = HMACSHA256.authenticate(message: Array("falaj login index v1".utf8), key: master)
        csrfKey = HMACSHA256.authenticate(message: Array("falaj csrf v1".utf8), key: master)
        mfaKey = HMACSHA256.authenticate(message: Array("falaj mfa seal v1".utf8), key: master)
        exportKey = HMACSHA256.authenticate(message: Array("falaj export seal v1".utf8), key: master)
    }

    /// Random secrets, for tests and throwaway instances.
    public static func random() -> TenancySecrets {
        // 32 random bytes always satisfy the length rule.
        try! TenancySecrets(master: SecureRandom.bytes(count: 32))
    }

    /// The routing key of a (normalised) e-mail address.
    func emailKey(_ normalizedEmail: String) -> [UInt8] {
        HMACSHA256.authenticate(message: Array(("email:" + normalizedEmail).utf8), key: loginIndexKey)
    }

    /// The throttle key of a client address.
    func addressKey(_ address: String) -> [UInt8] {
        HMACSHA256.authenticate(message: Array(("address:" + address).utf8), key: loginIndexKey)
    }
}
