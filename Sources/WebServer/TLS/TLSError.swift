/// A TLS setup error: a certificate or key that cannot be read or does not fit, or an OpenSSL setup failure.
///
/// ``description`` is meant for the operator starting the server. It names the file and OpenSSL's short reason,
/// for example `cannot read TLS certificate /etc/falaj/cert.pem: No such file or directory`, and never holds key
/// material. OpenSSL's full error stack and the throwing site appear only in ``debugDescription``.
/// Per-connection failures are not errors: ``TLSSession`` reports them as `.failed(reason:)` values.
public struct TLSError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong. A struct rather than an enum so that new codes can be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case cannotReadCertificate
            case cannotReadPrivateKey
            case privateKeyDoesNotMatchCertificate
            case cannotReadTrustedCertificates
            case cannotWriteFile
            case openSSLSetupFailed
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// The certificate file is missing, unreadable, or holds no PEM certificate.
        public static let cannotReadCertificate = Code(.cannotReadCertificate)
        /// The private key file is missing, unreadable, encrypted, or holds no PEM private key.
        public static let cannotReadPrivateKey = Code(.cannotReadPrivateKey)
        /// The private key is not the key of the certificate.
        public static let privateKeyDoesNotMatchCertificate = Code(.privateKeyDoesNotMatchCertificate)
        /// A client's trusted CA file (or the system's trust store) cannot be loaded.
        public static let cannotReadTrustedCertificates = Code(.cannotReadTrustedCertificates)
        /// A generated certificate or key could not be written.
        public static let cannotWriteFile = Code(.cannotWriteFile)
        /// OpenSSL refused a setting or could not allocate (for example an invalid cipher string).
        public static let openSSLSetupFailed = Code(.openSSLSetupFailed)

        /// The code's name, for example `cannotReadCertificate`.
        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// The operator-facing message, naming the file involved.
    public let message: String
    /// OpenSSL's error stack at the failure, oldest first; shown only by ``debugDescription``.
    package let openSSLErrors: [String]
    /// The file that threw the error.
    public let file: String
    /// The line that threw the error.
    public let line: Int

    /// Creates an error.
    /// - Parameters:
    ///   - code: what went wrong.
    ///   - message: the operator-facing message; name the file, never include key material.
    ///   - openSSLErrors: the drained OpenSSL error stack, for ``debugDescription``.
    package init(_ code: Code, _ message: String, openSSLErrors: [String] = [], file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.openSSLErrors = openSSLErrors
        self.file = file
        self.line = line
    }

    /// The operator-facing message.
    public var description: String { message }

    /// The message, the code, OpenSSL's error stack and the throwing site, for logs.
    public var debugDescription: String {
        "TLSError(code: \(code), message: \(message), openSSL: [\(openSSLErrors.joined(separator: "; "))], at: \(file):\(line))"
    }
}
