import CSystemShim

/// Placeholder until the server lands.
public enum WebServerModule {
    /// The module's name.
    public static let name = "WebServer"
}
