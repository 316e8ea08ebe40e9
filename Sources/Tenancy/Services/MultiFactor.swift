import Foundation
import FalajCrypto
import PostgresClient
import Residency

/// A TOTP enrolment in progress: what the member types into their authenticator app.
public struct MFAEnrolment: Sendable {
    /// The secret in base32, for manual entry.
    public var secret: String
    /// The `otpauth://` URI, for apps that accept a link.
    public var uri: String
}

/// TOTP (RFC 6238) enrolment, challenges and recovery codes. Secrets are sealed with AES-256-GCM under a key derived
/// from the master secret, bound to the tenant and user (AAD), so a copied row is useless elsewhere.
public struct MultiFactor: Sendable {
    let environment: TenancyEnvironment

    /// Number of recovery codes issued at enrolment.
    public static let recoveryCodeCount = 10

    private func seal(_ secret: [UInt8], tenant: TenantID, user: UUID) throws -> [UInt8] {
        try AES256GCM.seal(secret, key: environment.secrets.mfaKey, additionalData: Array("\(tenant)/\(user)".utf8)).combined
    }

    private func open(_ sealed: [UInt8], tenant: TenantID, user: UUID) throws -> [UInt8] {
        try AES256GCM.open(AES256GCM.SealedBox(combined: sealed), key: environment.secrets.mfaKey, additionalData: Array("\(tenant)/\(user)".utf8))
    }

    /// Starts enrolment: a new secret, kept pending until ``confirmEnrolment(_:code:)`` sees a valid code.
    public func beginEnrolment(_ session: SignedInSession) async throws -> MFAEnrolment {
        let secret = TOTP.generateSecret()
        let tenant = session.context.tenantID
        let sealed = try seal(secret, tenant: tenant, user: session.member.id)
        try await environment.router.withTenantTransaction(tenant) { connection in
            try await connection.execute("UPDATE users SET mfa_pending_secret = \(sealed) WHERE id = \(session.member.id)")
        }
        let uri = TOTP.otpauthURI(secret: secret, issuer: "Falaj", account: "\(session.member.email) (\(session.context.tenant.slug))")
        return MFAEnrolment(secret: Base32.encode(secret), uri: uri)
    }

    /// Confirms enrolment with a current code; returns the recovery codes (shown once) and the rotated session token.
    public func confirmEnrolment(_ session: SignedInSession, code: String) async throws -> (recoveryCodes: [String], token: TenantToken) {
        let tenant = session.context.tenantID
        let user = session.member.id
        let codes = (0..<Self.recoveryCodeCount).map { _ in Self.makeRecoveryCode() }
        try await environment.router.withTenantTransaction(tenant) { connection in
            guard let pending = try await connection.query("SELECT mfa_pending_secret FROM users WHERE id = \(user) FOR UPDATE").first?[
                "mfa_pending_secret", as: [UInt8]?.self]
            else { throw TenancyError.conflict("Start enrolment again: no authenticator set-up is in progress") }
            guard let step = TOTP(secret: try open(pending, tenant: tenant, user: user)).verify(code, at: Date()) else {
                throw TenancyError.invalid(field: "code", "That code is not valid; check the time on your device and try the current code")
            }
            try await connection.execute(
                "UPDATE users SET mfa_secret = mfa_pending_secret, mfa_pending_secret = NULL, mfa_last_step = \(Int64(step)) WHERE id = \(user)"
            )
            try await connection.execute("DELETE FROM mfa_recovery_codes WHERE user_id = \(user)")
            try await session.context.audit("member.mfa_enrolled", target: "user:\(user)", on: connection)
            for code in codes {
                try await connection.execute(
                    "INSERT INTO mfa_recovery_codes (tenant_id, user_id, code_hash) VALUES (\(tenant.rawValue), \(user), \(tokenHash(Self.canonical(code))))"
                )
            }
        }
        let token = try await Authenticator(environment: environment).rotate(session.token, email: session.member.email, markVerified: true)
        return (codes, token)
    }

    /// Checks a TOTP or recovery code for a session that still owes its second factor; on success the session is
    /// verified and its token rotated. A TOTP code works once (its time step is remembered); a recovery code once.
    public func verify(_ session: SignedInSession, code rawCode: String) async throws -> TenantToken {
        let tenant = session.context.tenantID
        let user = session.member.id
        let code = rawCode.filter { !$0.isWhitespace }
        let isValid = try await environment.router.withTenantTransaction(tenant) { connection -> Bool in
            guard let row = try await connection.query("SELECT mfa_secret, mfa_last_step FROM users WHERE id = \(user) FOR UPDATE").first,
                let sealed = try row["mfa_secret", as: [UInt8]?.self]
            else { return false }
            if code.count == 6, code.allSatisfy(\.isNumber) {
                guard let step = TOTP(secret: try open(sealed, tenant: tenant, user: user)).verify(code, at: Date()) else { return false }
                if let last = try row["mfa_last_step", as: Int64?.self], Int64(step) <= last { return false }
                try await connection.execute("UPDATE users SET mfa_last_step = \(Int64(step)) WHERE id = \(user)")
                return true
            }
            return try await connection.execute(
                "UPDATE mfa_recovery_codes SET used_at = now() WHERE user_id = \(user) AND code_hash = \(tokenHash(Self.canonical(code))) AND used_at IS NULL"
            ) == 1
        }
        try await environment.router.withTenantTransaction(tenant) { connection in
            try await session.context.audit(
                isValid ? "member.mfa_verified" : "member.mfa_failed", target: "user:\(user)", outcome: isValid ? "success" : "failure", on: connection
            )
        }
        guard isValid else { throw TenancyError.invalid(field: "code", "That code is not valid or was already used") }
        return try await Authenticator(environment: environment).rotate(session.token, email: session.member.email, markVerified: true)
    }

    /// Turns MFA off for the member (needs a current code, so a stolen session alone cannot do it); returns the
    /// rotated session token.
    public func disable(_ session: SignedInSession, code: String) async throws -> TenantToken {
        let token = try await verify(session, code: code)
        try await environment.router.withTenantTransaction(session.context.tenantID) { connection in
            try await connection.execute("UPDATE users SET mfa_secret = NULL, mfa_pending_secret = NULL, mfa_last_step = NULL WHERE id = \(session.member.id)")
            try await connection.execute("DELETE FROM mfa_recovery_codes WHERE user_id = \(session.member.id)")
            try await session.context.audit("member.mfa_disabled", target: "user:\(session.member.id)", on: connection)
        }
        return token
    }

    /// `xxxxx-xxxxx` from an unambiguous alphabet (about 50 bits).
    static func makeRecoveryCode() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")
        let chars = SecureRandom.bytes(count: 10).map { alphabet[Int($0) % alphabet.count] }
        return String(chars[0..<5]) + "-" + String(chars[5..<10])
    }

    /// Lower-case without separators, so `ABCDE-FGHJK` and `abcdefghjk` match.
    static func canonical(_ code: String) -> String { code.lowercased().filter { $0.isLetter || $0.isNumber } }
}
