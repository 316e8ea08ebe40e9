import BlockingPool
import FalajCrypto
import Foundation
import Glibc

/// A file's bytes as 1 MiB chunks, read on ``BlockingPool/shared`` so no disk read blocks the cooperative pool.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    typealias Failure = any Error

    /// The file to read.
    let path: String

    func makeAsyncIterator() -> Iterator { Iterator(reader: FileReader(path: path)) }

    struct Iterator: AsyncIteratorProtocol {
        let reader: FileReader

        mutating func next() async throws -> [UInt8]? {
            let reader = reader
            return try await BlockingPool.shared.run { try reader.nextChunk() }
        }
    }
}

/// An open file read front to back by one iterator at a time.
final class FileReader: @unchecked Sendable {
    // @unchecked Sendable: `descriptor` and `isFinished` are touched only inside `nextChunk()`, which its single
    // iterator calls one at a time (each call awaits the previous one); `deinit` runs after the last call.
    private let path: String
    private var descriptor: Int32 = -1
    private var isFinished = false

    init(path: String) { self.path = path }

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// The next chunk of up to 1 MiB, or nil at the end. Blocks on disk I/O.
    func nextChunk() throws -> [UInt8]? {
        if isFinished { return nil }
        if descriptor < 0 {
            descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard descriptor >= 0 else { throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path]) }
        }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 { return Array(buffer[0..<count]) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: path]) }
            isFinished = true
            close(descriptor)
            descriptor = -1
            return nil
        }
    }

    /// The lowercase hex SHA-256 and size of the file at `path`, streamed in 1 MiB reads. Blocks on disk I/O.
    static func digest(path: String) throws -> (sha256: String, size: Int64) {
        let reader = FileReader(path: path)
        let hasher = SHA256.Hasher()
        var size: Int64 = 0
        while let chunk = try reader.nextChunk() {
            hasher.update(chunk)
            size += Int64(chunk.count)
        }
        return (Hex.encode(hasher.finalize()), size)
    }
}
