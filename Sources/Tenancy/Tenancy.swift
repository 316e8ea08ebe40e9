import FalajCrypto
import PostgresClient
import Residency

/// Namespace for the `Tenancy` module (DESIGN.md §3). Tenants, users and sessions arrive with the tenancy issue.
public enum TenancyModule {
    /// The module's name, for logs and diagnostics.
    public static let name = "Tenancy"
}
