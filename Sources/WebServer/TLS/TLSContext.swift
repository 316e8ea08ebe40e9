import COpenSSL
import COpenSSLShim

/// A configured OpenSSL `SSL_CTX`: the certificate, key and policy shared by every ``TLSSession`` made from it.
///
/// Server contexts: TLS 1.2 minimum, TLS 1.2 ciphers from ``TLSConfiguration/tls12CipherList`` (ECDHE with AEAD only
/// by default), OpenSSL's default TLS 1.3 suites, server cipher preference, no renegotiation, no compression,
/// partial writes and moving write buffers enabled for non-blocking sockets.
///
/// Creating a context reads files and blocks briefly: do it at startup, not per connection.
package final class TLSContext: @unchecked Sendable {
    // @unchecked Sendable: the SSL_CTX is fully configured inside the initialisers and never changed afterwards (this
    // class exposes no mutators). OpenSSL documents a configured SSL_CTX as safe to share between threads for SSL_new,
    // which only takes an atomic reference and reads the settings.

    /// The owned `SSL_CTX *`, freed in `deinit`. Never mutate it after initialisation.
    let pointer: OpaquePointer
    /// Whether sessions made from this context act as the server.
    package let isServer: Bool

    private init(method: OpaquePointer?, isServer: Bool) throws {
        ERR_clear_error()
        guard let pointer = SSL_CTX_new(method) else {
            throw TLSErrorQueue.error(.openSSLSetupFailed, "cannot create a TLS context")
        }
        self.pointer = pointer
        self.isServer = isServer
        falaj_ssl_ctx_set_common_options(pointer)
        falaj_ssl_ctx_set_nonblocking_modes(pointer)
    }

    deinit {
        SSL_CTX_free(pointer)
    }

    /// Creates a server context from `configuration`: loads the certificate chain and the private key and checks
    /// that they belong together. Blocks while reading the two files.
    /// - Parameter configuration: the certificate and key paths and the TLS 1.2 cipher list.
    /// - Throws: ``TLSError`` naming the file: ``TLSError/Code/cannotReadCertificate``,
    ///   ``TLSError/Code/cannotReadPrivateKey``, ``TLSError/Code/privateKeyDoesNotMatchCertificate``, or
    ///   ``TLSError/Code/openSSLSetupFailed`` for an invalid cipher list.
    package convenience init(configuration: TLSConfiguration) throws {
        try self.init(method: TLS_server_method(), isServer: true)
        guard falaj_ssl_ctx_require_tls12(pointer) == 1 else {
            throw TLSErrorQueue.error(.openSSLSetupFailed, "cannot require TLS 1.2")
        }
        falaj_ssl_ctx_set_server_options(pointer)
        guard SSL_CTX_set_cipher_list(pointer, configuration.tls12CipherList) == 1 else {
            throw TLSErrorQueue.error(.openSSLSetupFailed, "invalid TLS 1.2 cipher list \"\(configuration.tls12CipherList)\"")
        }
        let certificatePath = configuration.certificatePath
        let keyPath = configuration.privateKeyPath
        guard SSL_CTX_use_certificate_chain_file(pointer, certificatePath) == 1 else {
            throw TLSErrorQueue.error(.cannotReadCertificate, "cannot read TLS certificate \(certificatePath)")
        }
        // Read the key ourselves so that an unreadable file and a key of the wrong certificate give different errors.
        let key = try TLSPrivateKey.read(pemFile: keyPath)
        guard SSL_CTX_use_PrivateKey(pointer, key.pointer) == 1, SSL_CTX_check_private_key(pointer) == 1 else {
            let entries = TLSErrorQueue.drain()
            throw TLSError(
                .privateKeyDoesNotMatchCertificate,
                "TLS private key \(keyPath) does not match certificate \(certificatePath)",
                openSSLErrors: entries.map(\.full)
            )
        }
    }

    /// Creates a client context that verifies the server's certificate chain: against `trustingCAFile` when given,
    /// otherwise against the system trust store. Used by tests and by the node agent. Blocks while reading the file.
    ///
    /// Sessions also check the server's name when ``TLSSession/Role/client(serverName:)`` names a host.
    /// - Parameters:
    ///   - trustingCAFile: a PEM file of trusted certificates (a CA, or a self-signed server certificate); `nil`
    ///     uses the system's default trust store.
    ///   - maximumProtocolVersion: the highest version offered; defaults to TLS 1.3. Values below TLS 1.2 also
    ///     lower the minimum to TLS 1.0 and OpenSSL's security level to 0, so that such a client really offers the
    ///     old protocol: only for tests proving that our server refuses it.
    /// - Throws: ``TLSError/Code/cannotReadTrustedCertificates`` naming the file.
    package static func makeClient(
        trustingCAFile: String?,
        maximumProtocolVersion: TLSProtocolVersion = .tls1_3
    ) throws -> TLSContext {
        let context = try TLSContext(method: TLS_client_method(), isServer: false)
        let pointer = context.pointer
        if maximumProtocolVersion < .tls1_2 {
            SSL_CTX_set_security_level(pointer, 0)
            guard SSL_CTX_set_cipher_list(pointer, "DEFAULT:@SECLEVEL=0") == 1,
                falaj_ssl_ctx_set_min_proto_version(pointer, TLSProtocolVersion.tls1_0.rawValue) == 1
            else {
                throw TLSErrorQueue.error(.openSSLSetupFailed, "cannot enable legacy TLS versions")
            }
        } else {
            guard falaj_ssl_ctx_require_tls12(pointer) == 1 else {
                throw TLSErrorQueue.error(.openSSLSetupFailed, "cannot require TLS 1.2")
            }
        }
        guard falaj_ssl_ctx_set_max_proto_version(pointer, maximumProtocolVersion.rawValue) == 1 else {
            throw TLSErrorQueue.error(.openSSLSetupFailed, "cannot set the maximum TLS version")
        }
        SSL_CTX_set_verify(pointer, SSL_VERIFY_PEER, nil)
        if let trustingCAFile {
            guard SSL_CTX_load_verify_locations(pointer, trustingCAFile, nil) == 1 else {
                throw TLSErrorQueue.error(.cannotReadTrustedCertificates, "cannot read trusted certificates \(trustingCAFile)")
            }
        } else {
            guard SSL_CTX_set_default_verify_paths(pointer) == 1 else {
                throw TLSErrorQueue.error(.cannotReadTrustedCertificates, "cannot load the system trust store")
            }
        }
        return context
    }
}

/// A TLS protocol version, as OpenSSL numbers them.
package enum TLSProtocolVersion: Int32, Sendable, Comparable {
    /// TLS 1.0 (legacy; only reachable from test clients).
    case tls1_0 = 0x0301
    /// TLS 1.1 (legacy; only reachable from test clients).
    case tls1_1 = 0x0302
    /// TLS 1.2, the minimum our contexts accept.
    case tls1_2 = 0x0303
    /// TLS 1.3.
    case tls1_3 = 0x0304

    /// Orders versions from oldest to newest.
    package static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
