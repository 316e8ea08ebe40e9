public import BlockingPool
import FalajCrypto
public import Foundation

/// A region's key-encryption key (KEK): 32 secret bytes that wrap tenants' data keys, never stored in a database.
public struct KeyEncryptionKey: Sendable, CustomStringConvertible {
    /// The first 8 bytes of the key's SHA-256, hex (16 characters): names the key without revealing it.
    public let id: String
    /// The key bytes; only wrapping and unwrapping in this module read them.
    let material: [UInt8]

    /// Wraps 32 key bytes.
    /// - Throws: ``KeyError/malformedKEK(_:)`` when `material` is not 32 bytes.
    public init(material: [UInt8]) throws(KeyError) {
        guard material.count == AES256GCM.keyByteCount else {
            throw .malformedKEK("a key-encryption key is \(AES256GCM.keyByteCount) bytes, not \(material.count)")
        }
        self.material = material
        self.id = Hex.encode(SHA256.hash(material).prefix(8))
    }

    /// A fresh random key.
    public static func generate() -> KeyEncryptionKey {
        // 32 random bytes always satisfy the initialiser.
        try! KeyEncryptionKey(material: SecureRandom.bytes(count: AES256GCM.keyByteCount))
    }

    /// The id only: key material never reaches logs.
    public var description: String { "KEK(\(id))" }
}

/// The key-encryption keys of one region: the current one wraps new data keys; older ones still unwrap during rotation.
///
/// Load it at start-up with ``load(region:dataDirectory:environment:isCreatingMissing:pool:)``.
public struct RegionKeyring: Sendable, CustomStringConvertible {
    /// The region id.
    public let region: String
    /// The key that wraps new data keys (and re-wraps old ones in ``TenantKeys/rewrapAll(region:actor:)``).
    public let current: KeyEncryptionKey
    /// Every key by id, the current one included.
    private let keys: [String: KeyEncryptionKey]

    /// A keyring with `current` plus `older` keys that can still unwrap.
    public init(region: String, current: KeyEncryptionKey, older: [KeyEncryptionKey] = []) {
        self.region = region
        self.current = current
        var keys = Dictionary(older.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        keys[current.id] = current
        self.keys = keys
    }

    /// The ids this keyring can unwrap with, sorted.
    public var keyIDs: [String] { keys.keys.sorted() }

    /// The key with `id`.
    /// - Throws: ``KeyError/unknownKEK(id:region:)`` when this keyring does not hold it.
    public func key(id: String) throws(KeyError) -> KeyEncryptionKey {
        guard let key = keys[id] else { throw .unknownKEK(id: id, region: region) }
        return key
    }

    /// Ids only.
    public var description: String { "RegionKeyring(\(region), current: \(current.id), all: \(keyIDs))" }

    /// The environment variable that holds `region`'s keys: `FALAJ_KEK_` and the upper-cased region id with `-` as `_`.
    public static func environmentName(for region: String) -> String {
        "FALAJ_KEK_" + region.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    /// Reads the region's KEKs from the environment, else from `<dataDirectory>/keys/<region>.kek`.
    ///
    /// Both hold base64url keys of 32 bytes separated by commas or newlines; the first is current, the rest are
    /// older keys kept for unwrapping until ``TenantKeys/rewrapAll(region:actor:)`` has moved every data key off
    /// them. With `isCreatingMissing` (development) a missing file is created with one random key, mode 0600.
    /// Blocks on file I/O, which runs on `pool` (defaults to ``BlockingPool/shared``).
    /// - Throws: ``KeyError/missingKEK(_:)`` or ``KeyError/malformedKEK(_:)``.
    public static func load(
        region: String,
        dataDirectory: URL?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        isCreatingMissing: Bool = false,
        pool: BlockingPool = .shared
    ) async throws -> RegionKeyring {
        let variable = environmentName(for: region)
        if let text = environment[variable] {
            return try parse(text, region: region, source: "environment variable \(variable)")
        }
        guard let dataDirectory else {
            throw KeyError.missingKEK("Region \(region) has no key-encryption key: set \(variable) or give a data directory")
        }
        let file = dataDirectory.appendingPathComponent("keys").appendingPathComponent("\(region).kek")
        let text: String = try await pool.run {
            if let data = FileManager.default.contents(atPath: file.path) { return String(decoding: data, as: UTF8.self) }
            guard isCreatingMissing else {
                throw KeyError.missingKEK("Region \(region) has no key-encryption key: \(file.path) does not exist and \(variable) is not set")
            }
            let directory = file.deletingLastPathComponent().path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let line = Base64URL.encode(KeyEncryptionKey.generate().material) + "\n"
            let created = FileManager.default.createFile(atPath: file.path, contents: Data(line.utf8), attributes: [.posixPermissions: 0o600])
            guard created else { throw KeyError.missingKEK("Could not create the key file \(file.path)") }
            return line
        }
        return try parse(text, region: region, source: file.path)
    }

    /// Parses comma- or newline-separated base64url keys, current first.
    static func parse(_ text: String, region: String, source: String) throws(KeyError) -> RegionKeyring {
        let entries = text.split(whereSeparator: { $0 == "," || $0.isNewline }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var keys: [KeyEncryptionKey] = []
        for (index, entry) in entries.enumerated() {
            guard let bytes = Base64URL.decode(entry), bytes.count == AES256GCM.keyByteCount else {
                throw .malformedKEK("Entry \(index + 1) in \(source) is not a base64url-encoded 32-byte key")
            }
            keys.append(try KeyEncryptionKey(material: bytes))
        }
        guard let current = keys.first else { throw .missingKEK("\(source) holds no key-encryption key for region \(region)") }
        return RegionKeyring(region: region, current: current, older: Array(keys.dropFirst()))
    }
}
