import Billing
import ComputeAgents
import Residency
import Tenancy

/// Namespace for the `Platform` module (DESIGN.md §3). The ML lifecycle arrives with its own issues.
public enum PlatformModule {
    /// The module's name, for logs and diagnostics.
    public static let name = "Platform"
}
