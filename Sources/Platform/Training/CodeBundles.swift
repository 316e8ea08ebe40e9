import AgentProtocol
public import ComputeAgents
import FalajCrypto
public import Foundation
import PostgresClient
import Residency
import Synchronization
public import Tenancy

/// Working files for custom runs: a gzipped tar archive uploaded once (streamed, encrypted in the home region) and
/// unpacked by the agent into the work folder of each run that names it.
public struct CodeBundle: Sendable, Equatable {
    /// The bundle's id (what a run names).
    public var id: UUID
    /// The uploaded file's name.
    public var fileName: String
    /// Its size.
    public var sizeBytes: Int64
    /// Its SHA-256 (hex).
    public var sha256: String
    /// Who uploaded it and when.
    public var createdBy: String, createdAt: Date

    init(_ row: PostgresRow) throws {
        id = try row["id", as: UUID.self]
        fileName = try row["file_name", as: String.self]
        sizeBytes = try row["size_bytes", as: Int64.self]
        sha256 = try row["sha256", as: String.self]
        createdBy = try row["created_by", as: String.self]
        createdAt = try row["created_at", as: Date.self]
    }
}

extension Runs {
    /// The largest archive accepted.
    public static let maximumBundleSize: Int64 = 1 << 30

    /// Stores an uploaded gzipped tar archive as a project's code bundle (`models.write`); audited as
    /// `code.uploaded`. The body is hashed and encrypted as it streams; nothing is recorded unless all of it was stored.
    /// - Throws: ``PlatformError/invalidFields(_:)`` naming `file` for an empty body or one that is not gzip.
    public func uploadCode(
        _ body: some AsyncSequence<[UInt8], any Error> & Sendable, fileName: String, project slug: String, context request: RequestContext
    ) async throws -> CodeBundle {
        try request.requirePlatform(.modelsWrite)
        let project = try await context.router.withTenantTransaction(request.tenantID) { try await Projects.find(slug, for: request, on: $0) }
        let name = fileName.isEmpty ? "code.tar.gz" : String(fileName.split(separator: "/").last ?? "code.tar.gz").prefix(255).description
        let id = UUID()
        let blobName = "code/\(id.uuidString.lowercased()).tar.gz"
        let digest = DigestingSequence(base: body)
        try await context.blobs.put(request.tenantID, name: blobName, from: digest)
        let (sha256, size, isGzip) = digest.result()
        guard size > 0, isGzip else {
            try? await context.blobs.delete(request.tenantID, name: blobName)
            throw PlatformError.invalid(field: "file", size == 0 ? "The archive is empty" : "Send a gzipped tar archive (.tar.gz): this file is not gzip")
        }
        do {
            return try await context.router.withTenantTransaction(request.tenantID) { connection in
                let row = try await connection.query(
                    """
                    INSERT INTO code_bundles (tenant_id, id, project_id, file_name, blob_name, size_bytes, sha256, created_by)
                    VALUES (\(request.tenantID.rawValue), \(id), \(project.id), \(name), \(blobName), \(size), \(sha256), \(request.platformActor))
                    RETURNING *
                    """
                )[0]
                try await AuditLog.record(
                    AuditEvent(
                        actor: request.auditActor, action: "code.uploaded", target: "code:\(id.uuidString.lowercased())", sourceIP: request.clientAddress,
                        requestID: request.requestID, details: ["project": project.slug, "file": name, "sha256": sha256, "bytes": String(size)]
                    ),
                    tenant: request.tenantID, on: connection
                )
                return try CodeBundle(row)
            }
        } catch {
            try? await context.blobs.delete(request.tenantID, name: blobName)
            throw error
        }
    }

    /// The bundle `id` of a project as a job spec names it.
    nonisolated(nonsending) static func bundle(_ id: UUID, project: UUID, on connection: PostgresConnection) async throws -> CommandJobSpec.Files {
        guard let row = try await connection.query("SELECT * FROM code_bundles WHERE id = \(id) AND project_id = \(project)").first else {
            throw PlatformError.invalid(field: "code", "The project has no code bundle \(id.uuidString.lowercased()); upload the archive first")
        }
        let bundle = try CodeBundle(row)
        return CommandJobSpec.Files(id: bundle.id, sha256: bundle.sha256, sizeBytes: bundle.sizeBytes)
    }

    /// The working files of a `train.command` job, for `GET /agent/v1/jobs/:job/files`: size and a streaming function.
    /// - Throws: ``PlatformError/notFound(_:)`` when the job names none.
    public func jobFiles(_ scope: JobTokenScope) async throws -> (sizeBytes: Int64, stream: @Sendable (@Sendable ([UInt8]) async throws -> Void) async throws -> Void) {
        let blobName = try await context.router.withTenantTransaction(scope.tenantID) { connection in
            guard let job = try await connection.query("SELECT spec FROM jobs WHERE id = \(scope.jobID)").first,
                let files = (try? job["spec", as: PostgresJSON.self].decode(CommandJobSpec.self))?.files,
                let row = try await connection.query("SELECT blob_name FROM code_bundles WHERE id = \(files.id)").first
            else { throw PlatformError.notFound("This job has no working files") }
            return (try row["blob_name", as: String.self], files.sizeBytes)
        }
        let blobs = context.blobs
        return (blobName.1, { sink in _ = try await blobs.get(scope.tenantID, name: blobName.0, into: sink) })
    }
}

/// Passes bytes through while computing their SHA-256 and size, and whether they start like gzip (1f 8b).
final class DigestingSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == [UInt8] {
    typealias Element = [UInt8]
    typealias Failure = any Error

    private struct State: ~Copyable {
        var hasher: SHA256.Hasher?
        var size: Int64 = 0
        var head: [UInt8] = []
    }

    private let base: Base
    private let state = Mutex(State(hasher: SHA256.Hasher()))

    init(base: Base) { self.base = base }

    /// SHA-256 (hex), size and whether the first bytes were gzip's magic number; call once the sequence has ended.
    func result() -> (sha256: String, size: Int64, isGzip: Bool) {
        state.withLock { state in
            let digest = state.hasher.map { Hex.encode($0.finalize()) } ?? ""
            state.hasher = nil
            return (digest, state.size, state.head.count >= 2 && state.head[0] == 0x1F && state.head[1] == 0x8B)
        }
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let owner: DigestingSequence

        mutating func next() async throws -> [UInt8]? {
            guard let chunk = try await base.next() else { return nil }
            owner.state.withLock { state in
                state.hasher?.update(chunk)
                state.size += Int64(chunk.count)
                if state.head.count < 2 { state.head += chunk.prefix(2 - state.head.count) }
            }
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), owner: self) }
}
