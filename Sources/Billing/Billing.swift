import Residency
import Tenancy

/// Namespace for the `Billing` module (DESIGN.md §3). Plans, metering and invoices arrive with the billing issue.
public enum BillingModule {
    /// The module's name, for logs and diagnostics.
    public static let name = "Billing"
}
