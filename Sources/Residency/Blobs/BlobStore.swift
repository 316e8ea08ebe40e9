/// Where a region keeps object bytes: a directory tree (``FileBlobStore``) or an S3-compatible bucket.
///
/// Keys are relative paths of lower-case letters, digits, `-`, `_`, `.` and `/` (no `..`, no leading `/`).
/// Implementations stream in both directions and never hold a whole object in memory. A `put` becomes visible to
/// `get` only after every byte is stored and its SHA-256 matches; a failed or interrupted `put` leaves nothing
/// visible. Blocking I/O runs on dedicated threads, never on Swift's cooperative pool.
public protocol BlobStore: Sendable {
    /// Stores the bytes `source` yields under `key`, replacing any object there.
    /// - Parameters:
    ///   - expectedSHA256: when given, the upload is refused (and nothing becomes visible) if the bytes differ.
    /// - Returns: size and SHA-256 of what was stored.
    func put(_ key: String, from source: some AsyncSequence<[UInt8], any Error> & Sendable, expectedSHA256: [UInt8]?) async throws -> BlobInfo

    /// Streams the object's bytes to `sink` in order, in chunks; verifies the stored SHA-256 at the end and throws
    /// ``BlobStoreError/corrupted(_:)`` when it differs (the caller must then discard what it received).
    func get(_ key: String, into sink: @Sendable ([UInt8]) async throws -> Void) async throws -> BlobInfo

    /// Size and checksum, or nil when there is no object.
    func info(_ key: String) async throws -> BlobInfo?

    /// Removes the object; no error when it does not exist.
    func delete(_ key: String) async throws

    /// Keys under `prefix`, sorted.
    func list(prefix: String) async throws -> [String]
}

/// What a store knows about one object.
public struct BlobInfo: Sendable, Equatable {
    /// Length in bytes.
    public var size: Int64
    /// SHA-256 of the stored bytes.
    public var sha256: [UInt8]

    /// Creates a value.
    public init(size: Int64, sha256: [UInt8]) {
        self.size = size
        self.sha256 = sha256
    }
}

/// Why a blob operation failed, in words for the user.
public enum BlobStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No object under the key.
    case notFound(String)
    /// The key is not a valid relative path.
    case invalidKey(String)
    /// The stored bytes do not match their checksum (or authentication tag).
    case corrupted(String)
    /// The uploaded bytes did not match the expected checksum; nothing was stored.
    case checksumMismatch(String)
    /// The tenant's data keys were destroyed: the data is erased and can never be read again.
    case erased(String)
    /// The backend failed (I/O error, HTTP error from S3).
    case backend(String)

    /// A sentence for logs and error pages.
    public var description: String {
        switch self {
        case .notFound(let key): "No object '\(key)'"
        case .invalidKey(let key): "'\(key)' is not a valid object key"
        case .corrupted(let key): "Object '\(key)' is damaged: its contents do not match their checksum"
        case .checksumMismatch(let key): "The upload of '\(key)' did not match its checksum; nothing was stored"
        case .erased(let message): message
        case .backend(let message): message
        }
    }
}

/// The key rule every ``BlobStore`` enforces: a relative path of `[a-z0-9._-]` segments joined by `/`, no segment
/// empty or starting with `.` (so `.`, `..` and a store's own temporary names can never be named).
public enum BlobKey {
    /// Whether `key` follows the rule and is at most `maximumBytes` long (default 1024).
    public static func isValid(_ key: String, maximumBytes: Int = 1024) -> Bool {
        guard !key.isEmpty, key.utf8.count <= maximumBytes, key.utf8.allSatisfy(isAllowedByte) else { return false }
        return key.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { segment in
            !segment.isEmpty && !segment.hasPrefix(".") && segment.utf8.count <= 255
        }
    }

    /// `a-z`, `0-9`, `-`, `_`, `.` and `/`.
    public static func isAllowedByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "/"):
            true
        default:
            false
        }
    }
}
