import FalajCrypto
import Foundation
public import HTTPClient
import Synchronization

/// A ``BlobStore`` on an S3-compatible bucket (path-style URLs, SigV4 signing, libcurl underneath).
///
/// `put` streams the bytes into a temporary object under ``temporaryPrefix`` (a name no valid key can have, so
/// it never shows in ``list(prefix:)``), hashing them on the way; only when the SHA-256 matches does a server-side
/// copy create the final key, with the digest stored as `x-amz-meta-sha256`. The temporary object is then deleted.
/// `get` streams and checks the bytes against that metadata. All network I/O blocks threads of the client's own
/// pool, never Swift's cooperative pool.
public struct S3BlobStore: BlobStore {
    /// Where unverified uploads live until copied (`~` is outside the key alphabet). A bucket lifecycle rule that
    /// expires this prefix after a day removes what interrupted uploads leave behind.
    public static let temporaryPrefix = "~tmp/"
    /// The object metadata header holding the hex SHA-256 of the object.
    static let checksumHeader = "x-amz-meta-sha256"

    let client: S3Client

    /// Creates a store.
    /// - Parameters:
    ///   - configuration: endpoint, region, bucket and credentials.
    ///   - httpClient: defaults to a new ``HTTPClient`` (8 pool threads) trusting ``S3Configuration/caFile``.
    public init(configuration: S3Configuration, httpClient: HTTPClient? = nil) {
        client = S3Client(configuration: configuration, http: httpClient)
    }

    public func put(
        _ key: String,
        from source: some AsyncSequence<[UInt8], any Error> & Sendable,
        expectedSHA256: [UInt8]?
    ) async throws -> BlobInfo {
        try Self.validate(key: key)
        let temporaryKey = Self.temporaryPrefix + key + "." + Hex.encode(SecureRandom.bytes(count: 8))
        let digest = StreamDigest()
        do {
            let upload = client.makeRequest(
                "PUT",
                key: temporaryKey,
                body: .stream(HashingSequence(base: source, digest: digest), length: nil),
                payloadHash: AWSSigV4.unsignedPayload
            )
            let uploaded = try await client.http.execute(upload, maxBodyBytes: 1 << 20)
            guard uploaded.status == 200 else { throw S3Client.failure("store '\(key)'", uploaded.status, uploaded.body) }
            let info = digest.result()
            if let expectedSHA256, !ConstantTime.equals(expectedSHA256, info.sha256) {
                throw BlobStoreError.checksumMismatch(key)
            }
            // The server must hold exactly what we hashed (a truncated upload would show here).
            guard let stored = try await head(temporaryKey), stored.size == info.size else {
                throw BlobStoreError.backend("S3 stored a different length for '\(key)' than was sent")
            }
            let copied = try await client.send(
                "PUT",
                key: key,
                headers: [
                    ("x-amz-copy-source", "/" + AWSSigV4.uriEncode(client.configuration.bucket + "/" + temporaryKey, isSlashEncoded: false)),
                    ("x-amz-metadata-directive", "REPLACE"),
                    (Self.checksumHeader, Hex.encode(info.sha256)),
                ]
            )
            // A copy can fail after its 200 status line: the error is then in the body.
            guard copied.status == 200, S3XML.errorSummary(copied.body) == nil else {
                throw S3Client.failure("publish '\(key)'", copied.status, copied.body)
            }
            try? await deleteObject(temporaryKey)
            return info
        } catch {
            try? await deleteObject(temporaryKey)
            throw Self.mapped(error, operation: "store '\(key)'")
        }
    }

    public func get(_ key: String, into sink: @Sendable ([UInt8]) async throws -> Void) async throws -> BlobInfo {
        try Self.validate(key: key)
        do {
            return try await client.http.execute(client.makeRequest("GET", key: key)) { head, body in
                guard head.status == 200 else {
                    if head.status == 404 { throw BlobStoreError.notFound(key) }
                    throw S3Client.failure("read '\(key)'", head.status, try await body.collect(upTo: 1 << 20))
                }
                guard let recorded = head[Self.checksumHeader].flatMap(Hex.decode), recorded.count == SHA256.byteCount else {
                    throw BlobStoreError.corrupted(key)
                }
                let hasher = SHA256.Hasher()
                var size: Int64 = 0
                for try await chunk in body {
                    hasher.update(chunk)
                    size += Int64(chunk.count)
                    try await sink(chunk)
                }
                let actual = hasher.finalize()
                guard ConstantTime.equals(actual, recorded) else { throw BlobStoreError.corrupted(key) }
                return BlobInfo(size: size, sha256: actual)
            }
        } catch {
            throw Self.mapped(error, operation: "read '\(key)'")
        }
    }

    public func info(_ key: String) async throws -> BlobInfo? {
        try Self.validate(key: key)
        do {
            guard let info = try await head(key) else { return nil }
            guard info.sha256.count == SHA256.byteCount else { throw BlobStoreError.corrupted(key) }
            return info
        } catch {
            throw Self.mapped(error, operation: "look up '\(key)'")
        }
    }

    public func delete(_ key: String) async throws {
        try Self.validate(key: key)
        do {
            try await deleteObject(key)
        } catch {
            throw Self.mapped(error, operation: "delete '\(key)'")
        }
    }

    public func list(prefix: String) async throws -> [String] {
        guard prefix.isEmpty || prefix.utf8.allSatisfy(BlobKey.isAllowedByte) else { throw BlobStoreError.invalidKey(prefix) }
        do {
            var keys: [String] = []
            var token: String?
            repeat {
                var query: [(name: String, value: String)] = [("list-type", "2")]
                if !prefix.isEmpty { query.append(("prefix", prefix)) }
                if let token { query.append(("continuation-token", token)) }
                let response = try await client.send("GET", key: nil, query: query)
                guard response.status == 200,
                    let values = S3XML.values(of: ["Key", "IsTruncated", "NextContinuationToken"], in: response.body)
                else {
                    throw S3Client.failure("list '\(prefix)'", response.status, response.body)
                }
                keys += values.filter { $0.name == "Key" && !$0.text.hasPrefix(Self.temporaryPrefix) }.map(\.text)
                let isTruncated = values.first { $0.name == "IsTruncated" }?.text == "true"
                token = isTruncated ? values.first { $0.name == "NextContinuationToken" }?.text : nil
            } while token != nil
            return keys.sorted()
        } catch {
            throw Self.mapped(error, operation: "list '\(prefix)'")
        }
    }

    // MARK: helpers

    /// Size and recorded checksum (empty when the object has no checksum metadata), or nil on 404.
    private func head(_ key: String) async throws -> BlobInfo? {
        let response = try await client.send("HEAD", key: key)
        switch response.status {
        case 200:
            let size = response.head["content-length"].flatMap { Int64($0) } ?? 0
            let sha = response.head[Self.checksumHeader].flatMap(Hex.decode) ?? []
            return BlobInfo(size: size, sha256: sha)
        case 404:
            return nil
        default:
            throw S3Client.failure("look up '\(key)'", response.status, response.body)
        }
    }

    private func deleteObject(_ key: String) async throws {
        let response = try await client.send("DELETE", key: key)
        guard response.status == 204 || response.status == 200 || response.status == 404 else {
            throw S3Client.failure("delete '\(key)'", response.status, response.body)
        }
    }

    /// Keys as ``BlobKey`` defines them, at most 960 bytes (S3's 1024 less room for the temporary prefix and suffix).
    static func validate(key: String) throws(BlobStoreError) {
        guard BlobKey.isValid(key, maximumBytes: 960) else { throw .invalidKey(key) }
    }

    /// Blob errors and caller errors (a failing source or sink) pass through; HTTP failures become `.backend`.
    private static func mapped(_ error: any Error, operation: String) -> any Error {
        if let error = error as? HTTPClientError {
            return BlobStoreError.backend("S3 could not \(operation): \(error)")
        }
        return error
    }
}

/// SHA-256 and length of the bytes a ``HashingSequence`` passed on; read after the upload finished.
final class StreamDigest: Sendable {
    private struct State {
        var hasher = SHA256.Hasher()
        var size: Int64 = 0
    }

    private let state = Mutex<State>(State())

    func update(_ chunk: [UInt8]) {
        state.withLock { state in
            state.hasher.update(chunk)
            state.size += Int64(chunk.count)
        }
    }

    /// The digest so far; call once, after the last chunk.
    func result() -> BlobInfo {
        state.withLock { BlobInfo(size: $0.size, sha256: $0.hasher.finalize()) }
    }
}

/// Passes `base`'s chunks on unchanged, feeding each to `digest` first.
struct HashingSequence<Base: AsyncSequence<[UInt8], any Error> & Sendable>: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    typealias Failure = any Error

    let base: Base
    let digest: StreamDigest

    func makeAsyncIterator() -> Iterator { Iterator(base: base.makeAsyncIterator(), digest: digest) }

    struct Iterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let digest: StreamDigest

        mutating func next() async throws -> [UInt8]? {
            guard let chunk = try await base.next() else { return nil }
            digest.update(chunk)
            return chunk
        }
    }
}
