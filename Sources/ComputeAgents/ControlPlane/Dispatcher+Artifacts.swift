import AgentProtocol
import FalajCrypto
import Foundation
import PostgresClient
import Residency
import Synchronization

extension Dispatcher {
    /// See ``storeArtifact(_:path:sha256:body:)``.
    func storeArtifactBody(
        _ scope: JobTokenScope, path: String, sha256: String, body: some AsyncSequence<[UInt8], any Error> & Sendable
    ) async throws -> ArtifactReceipt {
        guard Self.isValidArtifactPath(path) else {
            throw ComputeAgentsError.invalid(
                field: "path", "Use a relative path of letters, digits and . _ - / (no '..', no leading '/', at most 500 characters)"
            )
        }
        let digest = sha256.lowercased()
        guard digest.utf8.count == 64, let expected = Hex.decode(digest) else {
            throw ComputeAgentsError.invalid(field: "sha256", "Give the SHA-256 of the file as 64 hexadecimal digits")
        }
        try await context.router.withTenantTransaction(scope.tenantID) { connection in try await renewLease(scope, on: connection) }
        let blobName = Self.blobName(job: scope.jobID, attempt: scope.attempt, path: path)
        let counter = ByteCounter()
        do {
            _ = try await context.blobs.put(scope.tenantID, name: blobName, from: CountingSequence(base: body, counter: counter), expectedSHA256: expected)
        } catch BlobStoreError.checksumMismatch {
            throw ComputeAgentsError.invalid(field: "sha256", "The uploaded bytes do not match the SHA-256 given; nothing was stored")
        }
        let size = counter.count
        let previous: String?
        do {
            previous = try await context.router.withTenantTransaction(scope.tenantID) { connection in
                try await renewLease(scope, on: connection)
                let old = try await connection.query("SELECT blob_name FROM job_artifacts WHERE job_id = \(scope.jobID) AND path = \(path) FOR UPDATE")
                    .first?["blob_name", as: String.self]
                try await connection.execute(
                    """
                    INSERT INTO job_artifacts (tenant_id, job_id, attempt, path, blob_name, size_bytes, sha256)
                    VALUES (\(scope.tenantID.rawValue), \(scope.jobID), \(scope.attempt), \(path), \(blobName), \(size), \(digest))
                    ON CONFLICT (tenant_id, job_id, path) DO UPDATE SET attempt = EXCLUDED.attempt, blob_name = EXCLUDED.blob_name,
                        size_bytes = EXCLUDED.size_bytes, sha256 = EXCLUDED.sha256, created_at = now()
                    """
                )
                return old
            }
        } catch {
            try? await context.blobs.delete(scope.tenantID, name: blobName)
            throw error
        }
        if let previous, previous != blobName { try? await context.blobs.delete(scope.tenantID, name: previous) }
        return ArtifactReceipt(path: path, sizeBytes: size, sha256: digest)
    }

    /// A relative path of `[A-Za-z0-9._/-]`, at most 500 characters, with no empty, `.` or `..` segment.
    static func isValidArtifactPath(_ path: String) -> Bool {
        guard !path.isEmpty, path.utf8.count <= 500, !path.hasPrefix("/") else { return false }
        let allowed = path.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "/"), UInt8(ascii: "-"):
                true
            default: false
            }
        }
        return allowed && path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    /// `jobs/<job>/<attempt>/<path>` when the path is a valid blob key as it is (lower case, no segment starting with
    /// `.`), otherwise `jobs/<job>/<attempt>/p-<SHA-256 of the path>`; `job_artifacts.blob_name` remembers which.
    static func blobName(job: UUID, attempt: Int, path: String) -> String {
        let base = "jobs/\(job.uuidString.lowercased())/\(attempt)/"
        return BlobKey.isValid(base + path) ? base + path : base + "p-" + SHA256.hexString(Array(path.utf8))
    }
}

/// Counts the bytes that pass through a ``CountingSequence``.
final class ByteCounter: Sendable {
    private let total = Atomic<Int64>(0)
    /// Bytes counted so far.
    var count: Int64 { total.load(ordering: .acquiring) }
    func add(_ bytes: Int) { total.add(Int64(bytes), ordering: .releasing) }
}

/// Passes chunks through unchanged and counts their bytes (the plaintext size of an uploaded artifact).
struct CountingSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == [UInt8] {
    typealias Element = [UInt8]
    let base: Base
    let counter: ByteCounter

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let counter: ByteCounter

        mutating func next() async throws -> [UInt8]? {
            guard let chunk = try await base.next() else { return nil }
            counter.add(chunk.count)
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), counter: counter) }
}
