import COpenSSL
import COpenSSLShim

/// Owns one `X509` certificate and frees it in `deinit`. Used while loading and generating certificates;
/// an `SSL_CTX` keeps its own reference to the certificates it serves.
final class TLSCertificate {
    let pointer: OpaquePointer

    /// Takes ownership of `pointer`, which must come from an OpenSSL call that returns a new reference.
    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        X509_free(pointer)
    }

    /// Reads the first certificate in a PEM file.
    /// - Throws: ``TLSError/Code/cannotReadCertificate`` naming the file.
    static func read(pemFile path: String) throws -> TLSCertificate {
        ERR_clear_error()
        guard let bio = BIO_new_file(path, "r") else {
            throw TLSErrorQueue.error(.cannotReadCertificate, "cannot read TLS certificate \(path)")
        }
        defer { BIO_free(bio) }
        guard let certificate = PEM_read_bio_X509(bio, nil, nil, nil) else {
            throw TLSErrorQueue.error(.cannotReadCertificate, "cannot read TLS certificate \(path)")
        }
        return TLSCertificate(taking: certificate)
    }

    /// The certificate in PEM form.
    func pemBytes() throws -> [UInt8] {
        try TLSPEM.write { bio in PEM_write_bio_X509(bio, pointer) }
    }

    /// Whether the certificate is still valid `seconds` from now.
    func isValid(forAnotherSeconds seconds: Int) -> Bool {
        var deadline = time(nil) + seconds
        return X509_cmp_time(X509_get0_notAfter(pointer), &deadline) > 0
    }

    /// Whether the certificate names `host` (a DNS name or an IP address literal) in its subjectAltName.
    func matches(host: String) -> Bool {
        if TLSPEM.isIPAddress(host) {
            return X509_check_ip_asc(pointer, host, 0) == 1
        }
        return X509_check_host(pointer, host, host.utf8.count, 0, nil) == 1
    }

    /// Whether `key` is this certificate's private key.
    func matches(_ key: TLSPrivateKey) -> Bool {
        let matches = X509_check_private_key(pointer, key.pointer) == 1
        ERR_clear_error()
        return matches
    }
}

/// Owns one `EVP_PKEY` and frees it in `deinit`.
final class TLSPrivateKey {
    let pointer: OpaquePointer

    /// Takes ownership of `pointer`, which must come from an OpenSSL call that returns a new reference.
    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        EVP_PKEY_free(pointer)
    }

    /// Reads an unencrypted private key from a PEM file.
    /// - Throws: ``TLSError/Code/cannotReadPrivateKey`` naming the file.
    static func read(pemFile path: String) throws -> TLSPrivateKey {
        ERR_clear_error()
        guard let bio = BIO_new_file(path, "r") else {
            throw TLSErrorQueue.error(.cannotReadPrivateKey, "cannot read TLS private key \(path)")
        }
        defer { BIO_free(bio) }
        // A passphrase callback that always fails makes an encrypted key an error instead of a terminal prompt.
        guard let key = PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in -1 }, nil) else {
            throw TLSErrorQueue.error(.cannotReadPrivateKey, "cannot read TLS private key \(path)")
        }
        return TLSPrivateKey(taking: key)
    }

    /// Generates a new EC key on the P-256 curve.
    static func generateP256() throws -> TLSPrivateKey {
        ERR_clear_error()
        guard let key = falaj_evp_pkey_generate_p256() else {
            throw TLSErrorQueue.error(.openSSLSetupFailed, "cannot generate a P-256 key")
        }
        return TLSPrivateKey(taking: key)
    }

    /// The key in unencrypted PKCS#8 PEM form.
    func pemBytes() throws -> [UInt8] {
        try TLSPEM.write { bio in PEM_write_bio_PrivateKey(bio, pointer, nil, nil, 0, nil, nil) }
    }
}

/// PEM helpers shared by the certificate and key owners.
enum TLSPEM {
    /// Runs `write` against a memory BIO and returns what it wrote.
    static func write(_ write: (OpaquePointer) -> Int32) throws -> [UInt8] {
        ERR_clear_error()
        guard let bio = BIO_new(BIO_s_mem()) else {
            throw TLSErrorQueue.error(.openSSLSetupFailed, "cannot allocate a memory BIO")
        }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else {
            throw TLSErrorQueue.error(.openSSLSetupFailed, "cannot encode PEM")
        }
        var data: UnsafeMutablePointer<CChar>? = nil
        let count = falaj_bio_get_mem_data(bio, &data)
        guard count > 0, let data else { return [] }
        return data.withMemoryRebound(to: UInt8.self, capacity: count) { Array(UnsafeBufferPointer(start: $0, count: count)) }
    }

    /// Whether `host` is an IPv4 or IPv6 address literal rather than a DNS name.
    static func isIPAddress(_ host: String) -> Bool {
        host.contains(":") || (!host.isEmpty && host.allSatisfy { $0 == "." || $0.isASCII && $0.isNumber })
    }
}
