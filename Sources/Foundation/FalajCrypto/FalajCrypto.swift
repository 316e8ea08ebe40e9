import CArgon2
import COpenSSL

/// Placeholder until crypto lands.
public enum FalajCryptoModule {
    /// The module's name.
    public static let name = "FalajCrypto"
}
