import Foundation

/// Where an ``S3BlobStore`` keeps its objects and how it signs in.
///
/// The description never shows the secret. Read the credentials once at start-up with
/// ``fromEnvironment(endpoint:region:bucket:caFile:environment:)``.
public struct S3Configuration: Sendable, CustomStringConvertible {
    /// Scheme, host and optional port, e.g. `https://s3.me-central-1.amazonaws.com` or `http://127.0.0.1:9000`.
    /// Requests go to path-style URLs `<endpoint>/<bucket>/<key>`.
    public var endpoint: String
    /// The signing region, e.g. `me-central-1`.
    public var region: String
    /// The bucket; it must exist.
    public var bucket: String
    /// The access key id.
    public var accessKeyID: String
    /// The secret access key (never logged).
    public var secretAccessKey: String
    /// A PEM file of CA certificates to trust for an `https` endpoint; nil uses the system bundle (default).
    public var caFile: String?

    /// The environment variable holding the access key id.
    public static let accessKeyIDVariable = "FALAJ_S3_ACCESS_KEY_ID"
    /// The environment variable holding the secret access key.
    public static let secretAccessKeyVariable = "FALAJ_S3_SECRET_ACCESS_KEY"

    /// Creates a configuration.
    /// - Parameters:
    ///   - endpoint: scheme, host and port; a trailing `/` is dropped.
    ///   - caFile: defaults to nil (the system CA bundle).
    public init(endpoint: String, region: String, bucket: String, accessKeyID: String, secretAccessKey: String, caFile: String? = nil) {
        var endpoint = endpoint
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        self.region = region
        self.bucket = bucket
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.caFile = caFile
    }

    /// A configuration whose credentials come from ``accessKeyIDVariable`` and ``secretAccessKeyVariable``.
    /// - Parameters:
    ///   - environment: defaults to (nil means) the process environment.
    /// - Throws: ``BlobStoreError/backend(_:)`` naming the missing variable.
    public static func fromEnvironment(
        endpoint: String,
        region: String,
        bucket: String,
        caFile: String? = nil,
        environment: [String: String]? = nil
    ) throws -> S3Configuration {
        let environment = environment ?? ProcessInfo.processInfo.environment
        guard let keyID = environment[accessKeyIDVariable], !keyID.isEmpty else {
            throw BlobStoreError.backend("The S3 blob store needs \(accessKeyIDVariable) set to the access key id")
        }
        guard let secret = environment[secretAccessKeyVariable], !secret.isEmpty else {
            throw BlobStoreError.backend("The S3 blob store needs \(secretAccessKeyVariable) set to the secret access key")
        }
        return S3Configuration(endpoint: endpoint, region: region, bucket: bucket, accessKeyID: keyID, secretAccessKey: secret, caFile: caFile)
    }

    /// Endpoint, region, bucket and access key id; the secret is redacted.
    public var description: String {
        "S3Configuration(endpoint: \(endpoint), region: \(region), bucket: \(bucket), accessKeyID: \(accessKeyID), secret: <redacted>)"
    }
}
