import FalajCrypto
import Foundation

extension FileBlobStore {
    /// Whether `key` follows ``BlobKey`` (so `..`, `.` and the store's own `.tmp` can never be named).
    public static func isValidKey(_ key: String) -> Bool { BlobKey.isValid(key) }

    /// The file path for `key`.
    /// - Throws: ``BlobStoreError/invalidKey(_:)`` for a key that ``isValidKey(_:)`` refuses.
    func path(for key: String) throws(BlobStoreError) -> String {
        guard Self.isValidKey(key) else { throw .invalidKey(key) }
        return "\(root.path)/\(key)"
    }

    /// The header written in front of the payload.
    static func header(for info: BlobInfo) -> [UInt8] {
        var header = magic
        withUnsafeBytes(of: UInt64(info.size).bigEndian) { header.append(contentsOf: $0) }
        header.append(contentsOf: info.sha256)
        return header
    }

    /// Opens the object at `path` and reads its header; nil when there is no file. Blocks: call on a pool thread.
    /// - Throws: ``BlobStoreError/corrupted(_:)`` when the header is damaged.
    static func openObject(_ path: String, key: String) throws -> (BlobFile, BlobInfo)? {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { return nil }
        guard let file = try BlobFile.openForReading(path) else { return nil }
        let header = try file.read(upTo: headerByteCount, at: 0)
        guard header.count == headerByteCount, Array(header[0..<8]) == magic else {
            file.close()
            throw BlobStoreError.corrupted(key)
        }
        let size = header[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard size <= UInt64(Int64.max) else {
            file.close()
            throw BlobStoreError.corrupted(key)
        }
        return (file, BlobInfo(size: Int64(size), sha256: Array(header[16..<48])))
    }
}

/// A ``SHA256/Hasher`` handed from one ``BlockingPool`` job to the next.
final class SendableHasher: @unchecked Sendable {
    // @unchecked: the owning blob operation awaits each pool job before it submits the next, so the hasher is never
    // used from two threads at once, and the continuation hand-off orders the memory accesses.
    private let hasher = SHA256.Hasher()

    /// Adds bytes.
    func update(_ bytes: [UInt8]) { hasher.update(bytes) }

    /// The digest so far.
    func finalize() -> [UInt8] { hasher.finalize() }
}
