import FalajCrypto
public import Logging
public import Residency
public import ServiceLifecycle

/// What every tenancy service shares: the cell router, the derived secrets and the password policy.
public struct TenancyEnvironment: Sendable {
    /// Routes tenants to their cells; also holds the directory pool.
    public let router: CellRouter
    /// Derived keys (login routing, CSRF, MFA sealing).
    public let secrets: TenancySecrets
    /// Password rules and the common-password list.
    public let passwords: PasswordPolicy
    /// Where service warnings go.
    public let logger: Logger
    /// This process's authenticated API keys; trusted only while ``TenancyServices/backgroundServices`` listen.
    public let apiKeyCache = APIKeyCache()

    /// Creates the environment.
    public init(router: CellRouter, secrets: TenancySecrets, passwords: PasswordPolicy, logger: Logger) {
        self.router = router
        self.secrets = secrets
        self.passwords = passwords
        self.logger = logger
    }

    /// The directory's tenants table.
    public var directory: TenantDirectory { TenantDirectory(router: router) }
}

/// All tenancy services over one environment, for the portal to hold.
public struct TenancyServices: Sendable {
    /// The shared environment.
    public let environment: TenancyEnvironment
    /// Self-service sign-up.
    public var signUp: SignUp { SignUp(environment: environment) }
    /// Member logins, sessions and tenant switching.
    public var authenticator: Authenticator { Authenticator(environment: environment) }
    /// TOTP enrolment and challenges.
    public var multiFactor: MultiFactor { MultiFactor(environment: environment) }
    /// Members and invitations.
    public var members: Members { Members(environment: environment) }
    /// Built-in and custom roles.
    public var roles: Roles { Roles(environment: environment) }
    /// API keys.
    public var apiKeys: APIKeys { APIKeys(environment: environment) }
    /// Per-tenant security settings.
    public var security: SecuritySettingsStore { SecuritySettingsStore(environment: environment) }
    /// Retention policies per data category.
    public var retention: RetentionSettings { RetentionSettings(environment: environment) }
    /// The tenant's audit trail.
    public var audit: AuditTrail { AuditTrail(environment: environment) }
    /// Operator accounts and the tenant console.
    public var operators: Operators { Operators(environment: environment) }
    /// The directory's tenant table.
    public var directory: TenantDirectory { environment.directory }
    /// Data-subject exports and erasures.
    public var dataSubjectRequests: DataSubjectRequests { DataSubjectRequests(environment: environment) }

    /// Wraps an environment.
    public init(environment: TenancyEnvironment) { self.environment = environment }

    /// The background services `falaj serve` runs: the listeners that keep the API-key cache correct across
    /// control-plane processes (LISTEN on the directory and every cell). Without them the cache is never used.
    public var backgroundServices: [any Service] { [APIKeyCacheListeners(environment: environment)] }
}

/// Hashes a high-entropy secret (session, API key, invitation token) for storage. Argon2 is for passwords; these
/// are 256-bit random values, so one SHA-256 is enough and keeps per-request lookups fast.
func tokenHash(_ secret: String) -> [UInt8] { SHA256.hash(Array(secret.utf8)) }

/// Converts a validation failure from the value types into the service error.
func fieldError(_ error: FieldError) -> TenancyError { TenancyError.invalid(field: error.field, error.message) }
