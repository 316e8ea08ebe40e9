import Foundation
import HTTPTypes
import Tenancy
import WebServer

/// `/api/v1/security-settings`: session lifetimes, the MFA policy and allowed e-mail domains.
enum SecuritySettingsAPI {
    /// Registers the routes, each with its access rule and documentation.
    static func add(to routes: inout PortalRoutes, environment: PortalEnvironment) {
        let security = environment.tenancy.security

        routes.get(
            "/api/v1/security-settings", access: .permission(.securityManage),
            documentation: APIDocumentation(summary: "The organisation's security settings", responseSchema: SecuritySettingsJSON.schema)
        ) { request in
            try APIResponse.json(SecuritySettingsJSON(try await security.get(try request.requireContext())))
        }

        routes.add(
            .put, "/api/v1/security-settings", access: .permission(.securityManage),
            documentation: APIDocumentation(
                summary: "Replaces the security settings (every field required)", requestSchema: SecuritySettingsJSON.schema,
                responseSchema: SecuritySettingsJSON.schema
            ),
            maxBodySize: APIBody.maximumSize
        ) { request in
            let context = try request.requireContext()
            let body: SecuritySettingsJSON = try await request.decodeJSON()
            return try APIResponse.json(SecuritySettingsJSON(try await security.update(context, body.settings)))
        }
    }
}

/// ``SecuritySettings`` on the wire.
struct SecuritySettingsJSON: Codable {
    var sessionIdleMinutes: Int
    var sessionAbsoluteHours: Int
    var requireMFAForAdmins: Bool
    var allowedEmailDomains: [String]

    enum CodingKeys: String, CodingKey {
        case sessionIdleMinutes = "session_idle_minutes", sessionAbsoluteHours = "session_absolute_hours"
        case requireMFAForAdmins = "require_mfa_for_admins", allowedEmailDomains = "allowed_email_domains"
    }

    init(_ settings: SecuritySettings) {
        sessionIdleMinutes = settings.sessionIdleMinutes
        sessionAbsoluteHours = settings.sessionAbsoluteHours
        requireMFAForAdmins = settings.requireMFAForAdmins
        allowedEmailDomains = settings.allowedEmailDomains
    }

    var settings: SecuritySettings {
        SecuritySettings(
            sessionIdleMinutes: sessionIdleMinutes, sessionAbsoluteHours: sessionAbsoluteHours, requireMFAForAdmins: requireMFAForAdmins,
            allowedEmailDomains: allowedEmailDomains
        )
    }

    static let schema = Schema.object([
        "session_idle_minutes": ["type": "integer", "minimum": 5, "maximum": 43_200],
        "session_absolute_hours": ["type": "integer", "minimum": 1, "maximum": 2_160],
        "require_mfa_for_admins": Schema.boolean,
        "allowed_email_domains": Schema.array(Schema.string()),
    ])
}
