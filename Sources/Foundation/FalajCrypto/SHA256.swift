import COpenSSL

/// SHA-256 through OpenSSL's EVP interface. Nothing here blocks beyond the CPU time of hashing.
public enum SHA256 {
    /// The length of a SHA-256 digest in bytes (32).
    public static let byteCount = 32

    /// Returns the SHA-256 digest of `bytes`.
    /// - Parameter bytes: the message; a `String`'s `utf8` view, `[UInt8]` or any other byte sequence.
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        bytes.withContiguousBytes { input in
            [UInt8](unsafeUninitializedCapacity: byteCount) { output, initializedCount in
                var length: UInt32 = 0
                let status = EVP_Digest(input.baseAddress, input.count, output.baseAddress, &length, EVP_sha256(), nil)
                precondition(status == 1 && length == UInt32(byteCount), "EVP_Digest(SHA-256) failed")
                initializedCount = byteCount
            }
        }
    }

    /// Returns the SHA-256 digest of `bytes` as 64 lowercase hex characters.
    /// - Parameter bytes: the message.
    public static func hexString(_ bytes: some Sequence<UInt8>) -> String {
        Hex.encode(hash(bytes))
    }

    /// An incremental SHA-256 computation, for inputs too large to hold in memory (uploads, model files).
    ///
    /// Owns an `EVP_MD_CTX`, freed in `deinit`. Not `Sendable`: feed it from one task at a time.
    public final class Hasher {
        private let context: OpaquePointer

        /// Starts an empty computation.
        public init() {
            guard let context = EVP_MD_CTX_new() else {
                fatalError("EVP_MD_CTX_new failed: out of memory")
            }
            self.context = context
            Self.start(context)
        }

        deinit {
            EVP_MD_CTX_free(context)
        }

        /// Adds `bytes` to the message.
        /// - Parameter bytes: the next part of the message.
        public func update(_ bytes: some Sequence<UInt8>) {
            bytes.withContiguousBytes { update(bytes: $0) }
        }

        /// Adds the bytes in `buffer` to the message, without copying them.
        /// - Parameter buffer: the next part of the message, for example a chunk read from a file.
        public func update(bytes buffer: UnsafeRawBufferPointer) {
            guard buffer.count > 0 else { return }
            precondition(EVP_DigestUpdate(context, buffer.baseAddress, buffer.count) == 1, "EVP_DigestUpdate failed")
        }

        /// Returns the digest of everything added so far and resets the hasher to an empty message, ready for reuse.
        public func finalize() -> [UInt8] {
            let digest = [UInt8](unsafeUninitializedCapacity: SHA256.byteCount) { output, initializedCount in
                var length: UInt32 = 0
                precondition(EVP_DigestFinal_ex(context, output.baseAddress, &length) == 1, "EVP_DigestFinal_ex failed")
                initializedCount = Int(length)
            }
            Self.start(context)
            return digest
        }

        private static func start(_ context: OpaquePointer) {
            precondition(EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1, "EVP_DigestInit_ex(SHA-256) failed")
        }
    }
}

@available(*, unavailable, message: "an EVP_MD_CTX must not be used from two threads at once")
extension SHA256.Hasher: Sendable {}
