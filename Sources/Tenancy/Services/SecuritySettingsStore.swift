import Foundation
import PostgresClient
import Residency

/// A tenant's security settings.
public struct SecuritySettings: Sendable, Equatable, Codable {
    /// Minutes without activity after which a session ends (5…43200; default 480).
    public var sessionIdleMinutes: Int
    /// Hours after sign-in after which a session ends regardless (1…2160; default 168).
    public var sessionAbsoluteHours: Int
    /// Whether owners and admins must enrol TOTP before using the portal.
    public var requireMFAForAdmins: Bool
    /// When not empty, invitations go only to these e-mail domains.
    public var allowedEmailDomains: [String]

    /// Creates settings.
    public init(sessionIdleMinutes: Int = 480, sessionAbsoluteHours: Int = 168, requireMFAForAdmins: Bool = false, allowedEmailDomains: [String] = []) {
        self.sessionIdleMinutes = sessionIdleMinutes
        self.sessionAbsoluteHours = sessionAbsoluteHours
        self.requireMFAForAdmins = requireMFAForAdmins
        self.allowedEmailDomains = allowedEmailDomains
    }
}

/// Reads and changes a tenant's ``SecuritySettings``.
public struct SecuritySettingsStore: Sendable {
    let environment: TenancyEnvironment

    /// The current settings.
    public func get(_ context: RequestContext) async throws -> SecuritySettings {
        try context.require(.securityManage)
        return try await environment.router.withTenantTransaction(context.tenantID) { connection in
            guard let row = try await connection.query(
                "SELECT session_idle_minutes, session_absolute_hours, require_mfa_for_admins, allowed_email_domains FROM tenant_settings"
            ).first else { return SecuritySettings() }
            return SecuritySettings(
                sessionIdleMinutes: try row["session_idle_minutes", as: Int.self],
                sessionAbsoluteHours: try row["session_absolute_hours", as: Int.self],
                requireMFAForAdmins: try row["require_mfa_for_admins", as: Bool.self],
                allowedEmailDomains: try row["allowed_email_domains", as: [String].self]
            )
        }
    }

    /// Validates and saves new settings. Domains are lower-cased; each must look like `example.com`.
    public func update(_ context: RequestContext, _ settings: SecuritySettings) async throws -> SecuritySettings {
        try context.require(.securityManage)
        var errors: [String: String] = [:]
        if !(5...43_200).contains(settings.sessionIdleMinutes) { errors["session_idle_minutes"] = "Enter between 5 and 43200 minutes" }
        if !(1...2_160).contains(settings.sessionAbsoluteHours) { errors["session_absolute_hours"] = "Enter between 1 and 2160 hours" }
        var domains: [String] = []
        for raw in settings.allowedEmailDomains {
            let domain = raw.trimmingCharacters(in: .whitespaces).lowercased()
            guard !domain.isEmpty else { continue }
            guard (try? EmailAddress("x@" + domain)) != nil else {
                errors["allowed_email_domains"] = "'\(String(domain.prefix(60)))' is not a domain like example.com"
                break
            }
            if !domains.contains(domain) { domains.append(domain) }
        }
        if domains.count > 50 { errors["allowed_email_domains"] = "List at most 50 domains" }
        guard errors.isEmpty else { throw TenancyError.invalidFields(errors) }
        var saved = settings
        saved.allowedEmailDomains = domains
        try await environment.router.withTenantTransaction(context.tenantID) { connection in
            try await connection.execute(
                """
                INSERT INTO tenant_settings (tenant_id, session_idle_minutes, session_absolute_hours, require_mfa_for_admins, allowed_email_domains)
                VALUES (\(context.tenantID.rawValue), \(saved.sessionIdleMinutes), \(saved.sessionAbsoluteHours), \(saved.requireMFAForAdmins), \(domains))
                ON CONFLICT (tenant_id) DO UPDATE SET session_idle_minutes = EXCLUDED.session_idle_minutes,
                    session_absolute_hours = EXCLUDED.session_absolute_hours, require_mfa_for_admins = EXCLUDED.require_mfa_for_admins,
                    allowed_email_domains = EXCLUDED.allowed_email_domains, updated_at = now()
                """
            )
            try await context.audit(
                "security.settings_changed", target: "tenant:\(context.tenantID)",
                details: [
                    "session_idle_minutes": String(saved.sessionIdleMinutes), "session_absolute_hours": String(saved.sessionAbsoluteHours),
                    "require_mfa_for_admins": String(saved.requireMFAForAdmins), "allowed_email_domains": domains.joined(separator: " "),
                ],
                on: connection
            )
        }
        return saved
    }
}
