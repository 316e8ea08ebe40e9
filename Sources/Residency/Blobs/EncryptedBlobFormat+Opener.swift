import FalajCrypto
import Foundation

extension EncryptedBlobFormat {
    /// Decrypts a stored stream chunk by chunk, releasing each chunk's plaintext only after its tag verified.
    ///
    /// Feed bytes with ``append(_:)``; once ``neededKeyID`` is non-nil, look the key up and set ``key``; collect
    /// plaintext with ``openNext()``, and at the end of the stream call ``finish()``, which opens the final chunk
    /// (and fails when it is missing). Holds at most one chunk plus one incoming piece.
    struct Opener {
        /// What the errors name.
        let object: String
        private let context: [UInt8]
        private(set) var header: Header?
        /// The data key named by the header, once looked up.
        var key: [UInt8]?
        private var buffer: [UInt8] = []
        private var index: UInt64 = 0

        init(object: String, context: [UInt8]) {
            self.object = object
            self.context = context
        }

        /// The key id to look up: non-nil once the header is read and until ``key`` is set.
        var neededKeyID: UUID? { key == nil ? header?.keyID : nil }

        /// Adds stored bytes.
        /// - Throws: ``BlobStoreError/corrupted(_:)`` when the header is not one this version wrote.
        mutating func append(_ bytes: [UInt8]) throws(BlobStoreError) {
            buffer.append(contentsOf: bytes)
            if header == nil, buffer.count >= headerByteCount {
                guard let header = Header(parsing: Array(buffer[..<headerByteCount])) else { throw .corrupted(object) }
                self.header = header
                buffer.removeFirst(headerByteCount)
            }
        }

        /// Opens the next buffered chunk that is certainly not the last; nil when none is complete yet.
        mutating func openNext() throws(BlobStoreError) -> [UInt8]? {
            guard let header, key != nil else { return nil }
            let sealedSize = header.chunkSize + chunkOverhead
            guard buffer.count > sealedSize else { return nil }
            let plaintext = try open(Array(buffer[..<sealedSize]), isFinal: false)
            buffer.removeFirst(sealedSize)
            return plaintext
        }

        /// Opens the final chunk once the stream has ended.
        /// - Throws: ``BlobStoreError/corrupted(_:)`` when the object is truncated, extended or altered.
        mutating func finish() throws(BlobStoreError) -> [UInt8] {
            guard let header, key != nil, buffer.count >= chunkOverhead, buffer.count <= header.chunkSize + chunkOverhead else {
                throw .corrupted(object)
            }
            defer { buffer = [] }
            return try open(buffer, isFinal: true)
        }

        private mutating func open(_ sealed: [UInt8], isFinal: Bool) throws(BlobStoreError) -> [UInt8] {
            guard let header, let key else { throw .corrupted(object) }
            do {
                let box = try AES256GCM.SealedBox(
                    nonce: header.nonce(index),
                    ciphertext: Array(sealed[..<(sealed.count - chunkOverhead)]),
                    tag: Array(sealed[(sealed.count - chunkOverhead)...])
                )
                let plaintext = try AES256GCM.open(box, key: key, additionalData: header.additionalData(index, isFinal: isFinal, context: context))
                index += 1
                return plaintext
            } catch {
                throw .corrupted(object)
            }
        }
    }
}
