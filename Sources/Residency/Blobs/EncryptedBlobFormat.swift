import FalajCrypto
import Foundation

/// The layout of an encrypted object: a 44-byte header, then chunks sealed with AES-256-GCM.
///
/// Header: magic `FALAJENC` (8 bytes), version `1` (1 byte), 3 zero bytes, chunk size (UInt32, big-endian), the data
/// key's id (16-byte UUID) and a random 12-byte base nonce. Each chunk is the ciphertext of at most `chunk size`
/// plaintext bytes followed by its 16-byte tag; every chunk but the last holds exactly `chunk size` bytes, and the last
/// may be empty (an empty object is one empty final chunk).
///
/// Chunk *i* uses nonce = base nonce with its last 8 bytes XORed with *i* (big-endian), and additional data =
/// header ‖ *i* (UInt64, big-endian) ‖ final flag (1 byte) ‖ context (the object's key). So a changed header,
/// reordered or swapped chunks, chunks spliced from another object, an object moved to another key, a dropped last
/// chunk (its predecessor was sealed as not final) or appended bytes all fail a tag check. A chunk's plaintext is
/// released only after its own tag verified.
public enum EncryptedBlobFormat {
    /// `FALAJENC`.
    static let magic = Array("FALAJENC".utf8)
    /// The only version so far.
    static let version: UInt8 = 1
    /// Bytes in the header.
    public static let headerByteCount = 44
    /// Bytes a chunk adds to its plaintext (the GCM tag).
    public static let chunkOverhead = AES256GCM.tagByteCount
    /// The largest chunk size writers use and readers accept (1 MiB), which bounds a reader's memory.
    public static let maximumChunkSize = 1 << 20

    /// The parsed header.
    struct Header {
        let keyID: UUID
        let chunkSize: Int
        let baseNonce: [UInt8]
        let bytes: [UInt8]

        /// A header for a new object with a fresh random base nonce.
        init(keyID: UUID, chunkSize: Int) {
            precondition((1...EncryptedBlobFormat.maximumChunkSize).contains(chunkSize), "chunk size out of range")
            let baseNonce = SecureRandom.bytes(count: AES256GCM.nonceByteCount)
            var bytes = magic + [version, 0, 0, 0]
            withUnsafeBytes(of: UInt32(chunkSize).bigEndian) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: keyID.uuid) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: baseNonce)
            self.keyID = keyID
            self.chunkSize = chunkSize
            self.baseNonce = baseNonce
            self.bytes = bytes
        }

        /// Parses 44 header bytes; nil when they are not a header this version can read.
        init?(parsing bytes: [UInt8]) {
            guard bytes.count == EncryptedBlobFormat.headerByteCount, Array(bytes[0..<8]) == magic, bytes[8] == version,
                bytes[9] == 0, bytes[10] == 0, bytes[11] == 0
            else { return nil }
            let chunkSize = Int(bytes[12..<16].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            guard (1...EncryptedBlobFormat.maximumChunkSize).contains(chunkSize) else { return nil }
            let id = bytes[16..<32].withUnsafeBytes { $0.loadUnaligned(as: uuid_t.self) }
            self.keyID = UUID(uuid: id)
            self.chunkSize = chunkSize
            self.baseNonce = Array(bytes[32..<44])
            self.bytes = bytes
        }

        /// The nonce of chunk `index`.
        func nonce(_ index: UInt64) -> [UInt8] {
            var nonce = baseNonce
            for byte in 0..<8 { nonce[4 + byte] ^= UInt8(truncatingIfNeeded: index >> (56 - 8 * UInt64(byte))) }
            return nonce
        }

        /// The additional data of chunk `index`.
        func additionalData(_ index: UInt64, isFinal: Bool, context: [UInt8]) -> [UInt8] {
            var data = bytes
            withUnsafeBytes(of: index.bigEndian) { data.append(contentsOf: $0) }
            data.append(isFinal ? 1 : 0)
            data.append(contentsOf: context)
            return data
        }
    }

    /// Encrypts a plaintext stream into chunks.
    struct Sealer {
        let header: Header
        private let key: [UInt8]
        private let context: [UInt8]
        private var index: UInt64 = 0
        private var buffer: [UInt8] = []

        init(key: DataKey, chunkSize: Int, context: [UInt8]) {
            self.header = Header(keyID: key.id, chunkSize: chunkSize)
            self.key = key.material
            self.context = context
        }

        /// Adds plaintext; returns the chunks it completed (each at most chunk size + 16 bytes). A full chunk is held
        /// back until more bytes arrive, because only then is it known not to be the last.
        mutating func append(_ bytes: [UInt8]) throws -> [[UInt8]] {
            buffer.append(contentsOf: bytes)
            var sealed: [[UInt8]] = []
            while buffer.count > header.chunkSize {
                sealed.append(try seal(Array(buffer[..<header.chunkSize]), isFinal: false))
                buffer.removeFirst(header.chunkSize)
            }
            return sealed
        }

        /// Seals what is left as the final chunk.
        mutating func finish() throws -> [UInt8] {
            defer { buffer = [] }
            return try seal(buffer, isFinal: true)
        }

        private mutating func seal(_ plaintext: [UInt8], isFinal: Bool) throws -> [UInt8] {
            let box = try AES256GCM.seal(plaintext, key: key, nonce: header.nonce(index), additionalData: header.additionalData(index, isFinal: isFinal, context: context))
            index += 1
            return box.ciphertext + box.tag
        }
    }
}
