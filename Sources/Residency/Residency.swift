import FalajCrypto
import PostgresClient

/// Namespace for the `Residency` module (DESIGN.md §3). Regions, the cell router and keys arrive with the residency issue.
public enum ResidencyModule {
    /// The module's name, for logs and diagnostics.
    public static let name = "Residency"
}
