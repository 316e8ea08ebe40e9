#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One open file descriptor, used by one blob operation at a time from ``BlockingPool`` threads.
///
/// Every method blocks: call them only inside `BlockingPool.run`. `errno` is read in the same synchronous frame as the
/// failing call (STYLE.md §7). `deinit` closes a descriptor an error path left open.
final class BlobFile: @unchecked Sendable {
    // @unchecked: `descriptor` is mutated only by `close()`; a blob operation awaits each BlockingPool job before
    // submitting the next, so calls never overlap and the continuation orders their memory effects.
    private var descriptor: Int32
    /// The path, for error messages.
    let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit {
        if descriptor >= 0 { _ = systemClose(descriptor) }
    }

    /// Creates a new file (mode 0600) that must not exist yet.
    static func create(_ path: String) throws -> BlobFile {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw BlobFile.failure("create", path) }
        return BlobFile(descriptor: descriptor, path: path)
    }

    /// Opens an existing file for reading; nil when it does not exist.
    static func openForReading(_ path: String) throws -> BlobFile? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw BlobFile.failure("open", path)
        }
        return BlobFile(descriptor: descriptor, path: path)
    }

    /// Writes all of `bytes` at `offset`, retrying short writes and EINTR.
    func write(_ bytes: [UInt8], at offset: Int64) throws {
        try bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let count = pwrite(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
                if count < 0 {
                    if errno == EINTR { continue }
                    throw BlobFile.failure("write", path)
                }
                done += count
            }
        }
    }

    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    func read(upTo count: Int, at offset: Int64) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var done = 0
            while done < count {
                let got = pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                if got < 0 {
                    if errno == EINTR { continue }
                    throw BlobFile.failure("read", path)
                }
                if got == 0 { break }
                done += got
            }
            initialized = done
        }
    }

    /// Flushes the file's data and metadata to stable storage.
    func sync() throws {
        guard fsync(descriptor) == 0 else { throw BlobFile.failure("fsync", path) }
    }

    /// Closes the descriptor; safe to call twice.
    func close() {
        if descriptor >= 0 { _ = systemClose(descriptor) }
        descriptor = -1
    }

    /// Flushes a directory's entries (after a rename or unlink in it) to stable storage.
    static func syncDirectory(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw BlobFile.failure("open directory", path) }
        defer { _ = systemClose(descriptor) }
        guard fsync(descriptor) == 0 else { throw BlobFile.failure("fsync directory", path) }
    }

    /// Atomically replaces `destination` with `source`.
    static func rename(_ source: String, to destination: String) throws {
        guard systemRename(source, destination) == 0 else { throw BlobFile.failure("rename", destination) }
    }

    /// Removes a file; true when it existed.
    @discardableResult
    static func remove(_ path: String) throws -> Bool {
        if unlink(path) == 0 { return true }
        if errno == ENOENT || errno == ENOTDIR { return false }
        throw BlobFile.failure("unlink", path)
    }

    /// A backend error naming the call and errno; the path is relative to nothing secret (store layout only).
    private static func failure(_ call: String, _ path: String) -> BlobStoreError {
        let code = errno
        return .backend("Blob store: \(call) '\(path)' failed: \(String(cString: strerror(code))) (errno \(code))")
    }
}

/// `close(2)`, reachable from inside ``BlobFile`` whose own `close()` shadows it.
private func systemClose(_ descriptor: Int32) -> Int32 { close(descriptor) }

/// `rename(2)`, reachable from inside ``BlobFile`` whose own `rename` shadows it.
private func systemRename(_ source: String, _ destination: String) -> Int32 { rename(source, destination) }
