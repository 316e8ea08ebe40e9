import CLibPQ

/// Placeholder until the client lands.
public enum PostgresClientModule {
    /// The libpq version this binary links.
    public static var libpqVersion: Int { Int(PQlibVersion()) }
}
