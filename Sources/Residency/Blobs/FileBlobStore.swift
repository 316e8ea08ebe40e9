public import BlockingPool
import FalajCrypto
public import Foundation
import Synchronization

/// A ``BlobStore`` in a directory tree: the object under key `a/b` is the file `<root>/a/b`.
///
/// Each file starts with a 48-byte header: `FALAJOB1`, the payload length (UInt64, big-endian) and the payload's
/// SHA-256, followed by the payload. The checksum lives *in* the object file rather than in a sidecar or an xattr,
/// so one `rename` publishes bytes and checksum together (a sidecar needs two renames that a crash can split; user
/// xattrs are missing on some filesystems and dropped by ordinary copies and backups).
///
/// `put` writes `<root>/.tmp/<random>`, hashing as it goes, fills in the header, fsyncs, checks the expected
/// checksum, renames into place and fsyncs the directory. An interrupted `put` leaves only a temporary file, which
/// the first `put` of a later store instance removes once it is older than
/// ``Configuration/staleTemporaryAge``. `get` streams in ``Configuration/readChunkSize`` pieces and verifies the
/// checksum at the end. Every file system call runs on a ``BlockingPool`` (default ``BlockingPool/shared``).
public final class FileBlobStore: BlobStore {
    /// Tuning for a file store.
    public struct Configuration: Sendable {
        /// Bytes per read in `get`; defaults to 1 MiB.
        public var readChunkSize: Int
        /// Temporary files older than this are left-overs of a crashed `put` and removed; defaults to 15 minutes
        /// (long enough that another process's upload in progress is never touched).
        public var staleTemporaryAge: TimeInterval

        /// Creates a configuration with the defaults above.
        public init(readChunkSize: Int = 1 << 20, staleTemporaryAge: TimeInterval = 15 * 60) {
            self.readChunkSize = max(1, readChunkSize)
            self.staleTemporaryAge = staleTemporaryAge
        }
    }

    static let magic = Array("FALAJOB1".utf8)
    static let headerByteCount = 48

    /// The directory that holds the objects.
    public let root: URL
    private let configuration: Configuration
    private let pool: BlockingPool
    private let hasSwept = Mutex(false)

    /// A store rooted at `root` (created on first `put` when missing).
    /// - Parameters:
    ///   - root: the region's blob directory.
    ///   - configuration: chunk size and temporary-file age; defaults to ``Configuration/init(readChunkSize:staleTemporaryAge:)``.
    ///   - pool: the threads that run file I/O; defaults to ``BlockingPool/shared``.
    public init(root: URL, configuration: Configuration = Configuration(), pool: BlockingPool = .shared) {
        self.root = root.standardizedFileURL
        self.configuration = configuration
        self.pool = pool
    }

    /// Stores `source`'s bytes under `key`; see ``BlobStore/put(_:from:expectedSHA256:)``.
    public func put(_ key: String, from source: some AsyncSequence<[UInt8], any Error> & Sendable, expectedSHA256: [UInt8]?) async throws -> BlobInfo {
        let path = try self.path(for: key)
        let temporaryDirectory = root.appendingPathComponent(".tmp").path
        try await sweepOnce(temporaryDirectory)
        let temporaryPath = "\(temporaryDirectory)/\(Hex.encode(SecureRandom.bytes(count: 16)))"
        let file = try await pool.run {
            try FileManager.default.createDirectory(atPath: temporaryDirectory, withIntermediateDirectories: true)
            let file = try BlobFile.create(temporaryPath)
            try file.write([UInt8](repeating: 0, count: Self.headerByteCount), at: 0)
            return file
        }
        do {
            let hasher = SendableHasher()
            var size: Int64 = 0
            for try await bytes in source where !bytes.isEmpty {
                let offset = Int64(Self.headerByteCount) + size
                try await pool.run {
                    try file.write(bytes, at: offset)
                    hasher.update(bytes)
                }
                size += Int64(bytes.count)
            }
            let info = BlobInfo(size: size, sha256: await pool.run { hasher.finalize() })
            if let expectedSHA256, !ConstantTime.equals(expectedSHA256, info.sha256) {
                throw BlobStoreError.checksumMismatch(key)
            }
            try await pool.run {
                try file.write(Self.header(for: info), at: 0)
                try file.sync()
                file.close()
                let directory = (path as NSString).deletingLastPathComponent
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                try BlobFile.rename(temporaryPath, to: path)
                try BlobFile.syncDirectory(directory)
            }
            return info
        } catch {
            await pool.run {
                file.close()
                _ = try? BlobFile.remove(temporaryPath)
            }
            throw error
        }
    }

    /// Streams the object under `key` to `sink`; see ``BlobStore/get(_:into:)``.
    public func get(_ key: String, into sink: @Sendable ([UInt8]) async throws -> Void) async throws -> BlobInfo {
        let path = try self.path(for: key)
        guard let (file, info) = try await pool.run({ try Self.openObject(path, key: key) }) else { throw BlobStoreError.notFound(key) }
        defer { file.close() }
        let hasher = SendableHasher()
        let chunkSize = configuration.readChunkSize
        var offset: Int64 = 0
        while offset < info.size {
            let count = Int(min(Int64(chunkSize), info.size - offset))
            let start = Int64(Self.headerByteCount) + offset
            let bytes = try await pool.run {
                let bytes = try file.read(upTo: count, at: start)
                hasher.update(bytes)
                return bytes
            }
            guard bytes.count == count else { throw BlobStoreError.corrupted(key) }
            try await sink(bytes)
            offset += Int64(count)
        }
        let isIntact = await pool.run {
            let isAtEnd = (try? file.read(upTo: 1, at: Int64(Self.headerByteCount) + info.size).isEmpty) ?? false
            return isAtEnd && ConstantTime.equals(hasher.finalize(), info.sha256)
        }
        guard isIntact else { throw BlobStoreError.corrupted(key) }
        return info
    }

    /// Size and checksum from the object's header, or nil when there is no object.
    public func info(_ key: String) async throws -> BlobInfo? {
        let path = try self.path(for: key)
        return try await pool.run {
            guard let (file, info) = try Self.openObject(path, key: key) else { return nil }
            file.close()
            return info
        }
    }

    /// Removes the object under `key` and fsyncs its directory; no error when there is none.
    public func delete(_ key: String) async throws {
        let path = try self.path(for: key)
        try await pool.run {
            if try BlobFile.remove(path) { try BlobFile.syncDirectory((path as NSString).deletingLastPathComponent) }
        }
    }

    /// Keys under `prefix`, sorted; temporary files are never listed.
    public func list(prefix: String) async throws -> [String] {
        let rootPath = root.path
        return await pool.run {
            guard let walker = FileManager.default.enumerator(atPath: rootPath) else { return [] }
            var keys: [String] = []
            while let relative = walker.nextObject() as? String {
                if relative == ".tmp" { walker.skipDescendants(); continue }
                guard relative.hasPrefix(prefix), Self.isValidKey(relative) else { continue }
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: "\(rootPath)/\(relative)", isDirectory: &isDirectory), !isDirectory.boolValue {
                    keys.append(relative)
                }
            }
            return keys.sorted()
        }
    }

    /// Removes left-over temporary files of crashed uploads now, instead of at the first `put`.
    /// - Returns: how many were removed.
    @discardableResult
    public func removeStaleTemporaryFiles() async throws -> Int {
        let directory = root.appendingPathComponent(".tmp").path
        let age = configuration.staleTemporaryAge
        return try await pool.run {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            var removed = 0
            for name in names {
                let path = "\(directory)/\(name)"
                let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? .distantFuture
                if Date().timeIntervalSince(modified) >= age, try BlobFile.remove(path) { removed += 1 }
            }
            if removed > 0 { try BlobFile.syncDirectory(directory) }
            return removed
        }
    }

    private func sweepOnce(_ directory: String) async throws {
        guard hasSwept.withLock({ done in defer { done = true }; return !done }) else { return }
        try await removeStaleTemporaryFiles()
    }
}
