import Billing
import ComputeAgents
import Mustache
import Platform
import Residency
import Tenancy
import WebServer

/// Placeholder until the portal lands.
public enum PortalModule {
    /// The module's name.
    public static let name = "Portal"
}
