/// Where the server's TLS certificate and key live, and the few knobs that are worth turning.
///
/// Everything else is fixed by ``TLSContext`` and documented there: TLS 1.2 is the minimum version; TLS 1.2 offers
/// only ECDHE key exchange with AES-GCM or ChaCha20-Poly1305 (``modernTLS12Ciphers``); TLS 1.3 uses OpenSSL's
/// default suites (AES-256-GCM, ChaCha20-Poly1305, AES-128-GCM); the server's cipher order wins; renegotiation and
/// compression are disabled.
public struct TLSConfiguration: Sendable, Hashable {
    /// A PEM file holding the server certificate, followed by any intermediate certificates, leaf first.
    public var certificatePath: String
    /// A PEM file holding the certificate's private key, unencrypted (PKCS#8 or traditional). Keep it mode 0600.
    public var privateKeyPath: String
    /// The OpenSSL cipher string for TLS 1.2 connections; defaults to ``modernTLS12Ciphers``.
    /// TLS 1.3 suites are not affected by this string.
    public var tls12CipherList: String

    /// ECDHE with AES-GCM or ChaCha20-Poly1305 only, ECDSA before RSA (Mozilla's "intermediate" TLS 1.2 list):
    /// forward secrecy and AEAD ciphers, nothing with CBC, RSA key exchange, SHA-1 or 3DES.
    public static let modernTLS12Ciphers = [
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")

    /// Creates a configuration. Nothing is read until a ``TLSContext`` is made from it.
    /// - Parameters:
    ///   - certificatePath: the PEM certificate chain file.
    ///   - privateKeyPath: the PEM private key file.
    ///   - tls12CipherList: the TLS 1.2 cipher string; defaults to ``modernTLS12Ciphers``.
    public init(certificatePath: String, privateKeyPath: String, tls12CipherList: String = TLSConfiguration.modernTLS12Ciphers) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.tls12CipherList = tls12CipherList
    }
}
