import FalajCrypto
package import Foundation
package import HTTPClient

/// Signed, path-style requests to one bucket of an S3-compatible endpoint. ``S3BlobStore`` builds on it; tests
/// use it directly to create buckets and to tamper with objects.
package struct S3Client: Sendable {
    package let configuration: S3Configuration
    package let http: HTTPClient
    private let signer: AWSSigV4
    /// `host[:port]` of the endpoint, sent as `Host` and signed.
    private let host: String

    /// Creates a client; its ``HTTPClient`` trusts ``S3Configuration/caFile`` when given.
    package init(configuration: S3Configuration, http: HTTPClient? = nil) {
        self.configuration = configuration
        self.http = http ?? HTTPClient(configuration: HTTPClient.Configuration(caFile: configuration.caFile))
        signer = AWSSigV4(accessKeyID: configuration.accessKeyID, secretAccessKey: configuration.secretAccessKey, region: configuration.region)
        let afterScheme = configuration.endpoint.split(separator: "://", maxSplits: 1).last.map(String.init) ?? configuration.endpoint
        host = String(afterScheme.prefix { $0 != "/" })
    }

    /// A signed request for the bucket (`key` nil) or one object.
    /// - Parameters:
    ///   - query: raw query parameters (encoded here).
    ///   - headers: extra headers to send and sign, e.g. `x-amz-meta-…`.
    ///   - payloadHash: hex SHA-256 of `body`, or ``AWSSigV4/unsignedPayload`` for a streamed body.
    package func makeRequest(
        _ method: String,
        key: String?,
        query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [],
        body: HTTPClientRequest.Body? = nil,
        payloadHash: String = AWSSigV4.emptyPayloadHash,
        date: Date = Date()
    ) -> HTTPClientRequest {
        var path = "/" + AWSSigV4.uriEncode(configuration.bucket, isSlashEncoded: true)
        if let key { path += "/" + AWSSigV4.uriEncode(key, isSlashEncoded: false) }
        let amzDate = AWSSigV4.amzDate(date)
        var signed: [(name: String, value: String)] = [("Host", host), ("x-amz-date", amzDate), ("x-amz-content-sha256", payloadHash)]
        signed += headers
        let authorization = signer.authorization(method: method, path: path, query: query, headers: signed, payloadHash: payloadHash, amzDate: amzDate)
        let queryString = AWSSigV4.canonicalQuery(query)
        return HTTPClientRequest(
            method: method,
            url: configuration.endpoint + path + (queryString.isEmpty ? "" : "?" + queryString),
            headers: signed + [("Authorization", authorization)],
            body: body
        )
    }

    /// Sends a request with a small (or no) body and reads the whole response (at most 16 MiB).
    package func send(
        _ method: String,
        key: String?,
        query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [],
        body: [UInt8]? = nil
    ) async throws -> HTTPClientResponse {
        let request = makeRequest(
            method,
            key: key,
            query: query,
            headers: headers,
            body: body.map { .bytes($0) },
            payloadHash: body.map { SHA256.hexString($0) } ?? AWSSigV4.emptyPayloadHash
        )
        return try await http.execute(request, maxBodyBytes: 16 << 20)
    }

    /// Creates the configured bucket (for tests and first-time set-up); an existing bucket owned by us is fine.
    package func createBucket() async throws {
        // Outside us-east-1, S3 wants the region spelled out in the body.
        let body = configuration.region == "us-east-1"
            ? nil
            : Array(
                ("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                    + "<LocationConstraint>\(configuration.region)</LocationConstraint></CreateBucketConfiguration>").utf8
            )
        let response = try await send("PUT", key: nil, body: body)
        guard response.status == 200 || S3XML.errorSummary(response.body)?.hasPrefix("BucketAlreadyOwnedByYou") == true else {
            throw Self.failure("create bucket \(configuration.bucket)", response.head.status, response.body)
        }
    }

    /// A backend error naming the operation, the status and S3's error code and message.
    package static func failure(_ operation: String, _ status: Int, _ body: [UInt8]) -> BlobStoreError {
        let detail = S3XML.errorSummary(body).map { " (\($0))" } ?? ""
        return .backend("S3 could not \(operation): HTTP \(status)\(detail)")
    }
}
