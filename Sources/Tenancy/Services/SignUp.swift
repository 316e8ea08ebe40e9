public import Foundation
import FalajCrypto
import PostgresClient
import Residency

/// What a person types into the sign-up form.
public struct SignUpForm: Sendable {
    /// The organisation's name; the tenant's display name and the source of its slug.
    public var organisation: String
    /// The home region id chosen from the catalog.
    public var region: String
    /// The owner's e-mail address.
    public var email: String
    /// The owner's password.
    public var password: String
    /// The owner's name; defaults to the e-mail's local part.
    public var displayName: String?
    /// `free`, `team` or `enterprise`; self-service sign-up is `free`.
    public var plan: String

    /// Creates a form value.
    public init(organisation: String, region: String, email: String, password: String, displayName: String? = nil, plan: String = "free") {
        self.organisation = organisation
        self.region = region
        self.email = email
        self.password = password
        self.displayName = displayName
        self.plan = plan
    }
}

/// A finished sign-up: the active tenant, its owner, and the owner's first session.
public struct SignUpResult: Sendable {
    /// The new tenant.
    public var tenant: TenantSummary
    /// The owner's user id.
    public var ownerID: UUID
    /// The owner's session (already signed in).
    public var session: TenantToken
}

/// Self-service sign-up: creates a tenant in the directory and its owner in the home cell.
///
/// Order: a `provisioning` tenant row (reserves the slug) → the owner, settings and membership in the cell (one
/// transaction) → the tenant becomes `active` with its login route (one directory transaction). A failure at any
/// step undoes the earlier ones; a crash leaves only a `provisioning` row that the next sign-up with that slug
/// replaces after ten minutes and that can never sign in. Nobody sees a half-made tenant.
public struct SignUp: Sendable {
    let environment: TenancyEnvironment

    /// Validates the form (every field error at once), then creates the tenant.
    /// - Throws: ``TenancyError/invalidFields(_:)`` naming each wrong field; database errors as they come.
    public func signUp(_ form: SignUpForm, clientAddress: String = "", userAgent: String = "") async throws -> SignUpResult {
        var errors: [String: String] = [:]
        var organisation = ""
        do { organisation = try DisplayName.validate(form.organisation, field: "organisation", maximum: 100) } catch {
            errors[error.field] = error.message
        }
        var email: EmailAddress?
        do { email = try EmailAddress(form.email) } catch { errors["email"] = error.message }
        do { try environment.passwords.check(form.password, email: email) } catch { errors["password"] = error.message }
        var ownerName = ""
        if let name = form.displayName, !name.trimmingCharacters(in: .whitespaces).isEmpty {
            do { ownerName = try DisplayName.validate(name, field: "display_name") } catch { errors[error.field] = error.message }
        }
        let regions = try await RegionCatalog(directory: environment.router.directory).all()
        if !regions.contains(where: { $0.id == form.region && $0.status == "active" }) || (try? environment.router.cell(for: form.region)) == nil {
            errors["region"] = "Choose one of the listed regions"
        }
        if !["free", "team", "enterprise"].contains(form.plan) { errors["plan"] = "Choose the free, team or enterprise plan" }
        guard errors.isEmpty, let email else { throw TenancyError.invalidFields(errors) }
        if ownerName.isEmpty { ownerName = String(email.normalized.prefix { $0 != "@" }) }

        let passwordHash = try await Argon2id.hash(password: form.password)
        let tenant = TenantID.generate()
        let slug = try await environment.directory.availableSlug(for: organisation)
        try await environment.directory.insertProvisioning(id: tenant, slug: slug, displayName: organisation, region: form.region, plan: form.plan)
        environment.router.remember(tenant, homeRegion: form.region)
        let ownerID = UUID()
        let session = TenantToken.generate(for: tenant)
        do {
            try await environment.router.withTenantTransaction(tenant) { connection in
                try await connection.execute("INSERT INTO tenant_settings (tenant_id) VALUES (\(tenant.rawValue))")
                try await connection.execute(
                    """
                    INSERT INTO users (tenant_id, id, email, display_name, password_hash)
                    VALUES (\(tenant.rawValue), \(ownerID), \(email.normalized), \(ownerName), \(passwordHash))
                    """
                )
                try await connection.execute(
                    "INSERT INTO memberships (tenant_id, user_id, role) VALUES (\(tenant.rawValue), \(ownerID), 'owner')"
                )
                try await Sessions.insert(
                    token: session, user: ownerID, isMFAVerified: true, clientAddress: clientAddress, userAgent: userAgent, on: connection
                )
                try await AuditLog.record(
                    AuditEvent(
                        actor: .user(ownerID), action: "tenant.created", target: "tenant:\(tenant)", sourceIP: clientAddress,
                        details: ["region": form.region, "plan": form.plan, "via": "sign-up"]
                    ),
                    tenant: tenant,
                    on: connection
                )
            }
        } catch {
            try? await environment.directory.removeProvisioning(tenant)
            environment.router.forget(tenant)
            throw error
        }
        do {
            try await environment.directory.activate(tenant, ownerEmailKey: environment.secrets.emailKey(email.normalized))
        } catch {
            // Undo the cell rows, then the reservation, so a retry starts clean.
            try? await environment.router.withTenantTransaction(tenant) { connection in
                try await connection.execute("DELETE FROM users WHERE tenant_id = \(tenant.rawValue)")
                try await connection.execute("DELETE FROM tenant_settings WHERE tenant_id = \(tenant.rawValue)")
            }
            try? await environment.directory.removeProvisioning(tenant)
            environment.router.forget(tenant)
            throw error
        }
        guard let summary = try await environment.directory.tenant(tenant) else { throw TenancyError.notFound("The new organisation vanished") }
        return SignUpResult(tenant: summary, ownerID: ownerID, session: session)
    }

}
