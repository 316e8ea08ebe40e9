import COpenSSL
import COpenSSLShim

/// A development certificate for `falaj serve --tls-self-signed`: an EC P-256 key and a self-signed X.509 v3
/// certificate for `localhost`, kept as `dev-cert.pem` and `dev-key.pem` in a directory.
///
/// Never use it in production: browsers warn, and clients must be told to trust `dev-cert.pem` explicitly.
package enum SelfSignedCertificate {
    /// The certificate's file name inside the directory: `dev-cert.pem`.
    package static let certificateFileName = "dev-cert.pem"
    /// The private key's file name inside the directory: `dev-key.pem`, written with mode 0600.
    package static let privateKeyFileName = "dev-key.pem"
    /// How long a generated certificate is valid: 365 days.
    package static let validityDays = 365
    /// Existing files are regenerated when the certificate expires within this many seconds: one day.
    package static let renewalMarginSeconds = 86_400

    /// Returns a configuration for the development certificate in `directory`, generating it first unless a
    /// usable one is already there. Blocks on file I/O and key generation (milliseconds): call it at startup.
    ///
    /// Existing files are reused when the key matches the certificate, the certificate names `commonName` and is
    /// valid for at least another day; otherwise both are replaced. The certificate lists `DNS:localhost`,
    /// `IP:127.0.0.1`, `IP:::1` and `commonName` as subject alternative names, is valid for 365 days (from five
    /// minutes ago, for clock skew), and is signed with ECDSA-SHA256. Files are written to a temporary name and
    /// renamed, so a reader never sees half a file.
    /// - Parameters:
    ///   - commonName: the host the certificate is for; defaults to `localhost`. A DNS name or an IP literal.
    ///   - directory: where the PEM files live; created (mode 0700) if missing.
    /// - Throws: ``TLSError/Code/cannotWriteFile`` naming the path, or ``TLSError/Code/openSSLSetupFailed``.
    package static func generate(commonName: String = "localhost", directory: String) throws -> TLSConfiguration {
        try TLSFiles.makeDirectory(directory)
        let configuration = TLSConfiguration(
            certificatePath: TLSFiles.join(directory, certificateFileName),
            privateKeyPath: TLSFiles.join(directory, privateKeyFileName)
        )
        if isReusable(configuration, commonName: commonName) {
            return configuration
        }
        let key = try TLSPrivateKey.generateP256()
        let certificate = try makeCertificate(commonName: commonName, key: key)
        try TLSFiles.writeAtomically(try key.pemBytes(), to: configuration.privateKeyPath, mode: 0o600)
        try TLSFiles.writeAtomically(try certificate.pemBytes(), to: configuration.certificatePath, mode: 0o644)
        return configuration
    }

    /// Whether the files exist, belong together, name `commonName` and stay valid past the renewal margin.
    private static func isReusable(_ configuration: TLSConfiguration, commonName: String) -> Bool {
        guard let certificate = try? TLSCertificate.read(pemFile: configuration.certificatePath),
            let key = try? TLSPrivateKey.read(pemFile: configuration.privateKeyPath)
        else { return false }
        return certificate.matches(key) && certificate.matches(host: commonName)
            && certificate.isValid(forAnotherSeconds: renewalMarginSeconds)
    }

    private static func makeCertificate(commonName: String, key: TLSPrivateKey) throws -> TLSCertificate {
        ERR_clear_error()
        guard let pointer = X509_new() else {
            throw TLSErrorQueue.error(.openSSLSetupFailed, "cannot allocate a certificate")
        }
        let certificate = TLSCertificate(taking: pointer)
        guard let name = X509_get_subject_name(pointer),
            X509_set_version(pointer, 2) == 1,  // 2 means X.509 v3
            ASN1_INTEGER_set_int64(X509_get_serialNumber(pointer), Int64.random(in: 1...Int64.max)) == 1,
            X509_gmtime_adj(X509_getm_notBefore(pointer), -300) != nil,
            X509_time_adj_ex(X509_getm_notAfter(pointer), Int32(validityDays), 0, nil) != nil,
            X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, "Falaj development", -1, -1, 0) == 1,
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, commonName, -1, -1, 0) == 1,
            X509_set_issuer_name(pointer, name) == 1,
            X509_set_pubkey(pointer, key.pointer) == 1
        else {
            throw TLSErrorQueue.error(.openSSLSetupFailed, "cannot build a certificate for \(commonName)")
        }
        let extensions: [(Int32, String)] = [
            (NID_basic_constraints, "critical,CA:FALSE"),
            (NID_ext_key_usage, "serverAuth"),
            (NID_subject_key_identifier, "hash"),
            (NID_subject_alt_name, subjectAlternativeNames(commonName)),
        ]
        for (nid, value) in extensions {
            guard falaj_x509_add_self_issued_ext(pointer, nid, value) == 1 else {
                throw TLSErrorQueue.error(.openSSLSetupFailed, "cannot add certificate extension \(value)")
            }
        }
        guard X509_sign(pointer, key.pointer, EVP_sha256()) > 0 else {
            throw TLSErrorQueue.error(.openSSLSetupFailed, "cannot sign the certificate")
        }
        return certificate
    }

    /// `DNS:localhost,IP:127.0.0.1,IP:::1`, plus `commonName` when it is another name or address.
    private static func subjectAlternativeNames(_ commonName: String) -> String {
        var names = ["DNS:localhost", "IP:127.0.0.1", "IP:::1"]
        let extra = (TLSPEM.isIPAddress(commonName) ? "IP:" : "DNS:") + commonName
        if !names.contains(extra) {
            names.append(extra)
        }
        return names.joined(separator: ",")
    }
}
