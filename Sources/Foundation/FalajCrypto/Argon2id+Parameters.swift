extension Argon2id {
    /// The costs of an argon2id hash. The defaults are OWASP's minimum recommendation for argon2id:
    /// 19 MiB of memory, two passes, one lane, a 16-byte salt and a 32-byte hash.
    public struct Parameters: Sendable, Hashable {
        /// Memory cost in KiB; default 19456 (19 MiB). At least 8 × ``parallelism``, at most ``maximumMemoryKiB``.
        public var memoryKiB: UInt32
        /// Number of passes over the memory (time cost); default 2. From 1 to ``maximumIterations``.
        public var iterations: UInt32
        /// Number of lanes, and threads libargon2 starts per hash; default 1. From 1 to ``maximumParallelism``.
        public var parallelism: UInt32
        /// Length of the random salt in bytes; default 16, at least 8.
        public var saltByteCount: Int
        /// Length of the hash in bytes; default 32, at least 16.
        public var hashByteCount: Int

        /// The largest memory cost accepted when hashing or verifying: 1 GiB.
        public static let maximumMemoryKiB: UInt32 = 1 << 20
        /// The largest time cost accepted when hashing or verifying: 64 passes.
        public static let maximumIterations: UInt32 = 64
        /// The largest number of lanes accepted when hashing or verifying: 16.
        public static let maximumParallelism: UInt32 = 16

        /// OWASP's recommended minimum for argon2id: m=19456 KiB, t=2, p=1.
        public static let owasp = Parameters()

        /// Creates parameters; every argument defaults to the ``owasp`` value.
        /// - Parameters:
        ///   - memoryKiB: memory cost in KiB (default 19456).
        ///   - iterations: time cost (default 2).
        ///   - parallelism: lanes (default 1).
        ///   - saltByteCount: salt length (default 16).
        ///   - hashByteCount: hash length (default 32).
        public init(
            memoryKiB: UInt32 = 19456,
            iterations: UInt32 = 2,
            parallelism: UInt32 = 1,
            saltByteCount: Int = 16,
            hashByteCount: Int = 32
        ) {
            self.memoryKiB = memoryKiB
            self.iterations = iterations
            self.parallelism = parallelism
            self.saltByteCount = saltByteCount
            self.hashByteCount = hashByteCount
        }

        /// Reads the parameters recorded in an encoded `$argon2id$v=19$m=…,t=…,p=…$salt$hash` string, or returns
        /// `nil` when the string is not argon2id version 19 in that form. Does not check the ranges.
        /// - Parameter encoded: a PHC string.
        public init?(encoded: String) {
            let fields = encoded.split(separator: "$", omittingEmptySubsequences: false)
            guard fields.count == 6, fields[0].isEmpty, fields[1] == "argon2id", fields[2] == "v=19" else { return nil }
            var costs: [Substring: UInt32] = [:]
            for pair in fields[3].split(separator: ",", omittingEmptySubsequences: false) {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, costs[parts[0]] == nil, let value = UInt32(parts[1]) else { return nil }
                costs[parts[0]] = value
            }
            guard costs.count == 3, let memory = costs["m"], let time = costs["t"], let lanes = costs["p"],
                let saltCount = Self.decodedCount(fields[4]), let hashCount = Self.decodedCount(fields[5])
            else { return nil }
            self.init(memoryKiB: memory, iterations: time, parallelism: lanes, saltByteCount: saltCount, hashByteCount: hashCount)
        }

        /// Throws ``CryptoError/Code/invalidParameters`` unless every cost is within its documented range.
        func validate() throws {
            guard (1...Self.maximumParallelism).contains(parallelism),
                (1...Self.maximumIterations).contains(iterations),
                memoryKiB >= 8 * parallelism, memoryKiB <= Self.maximumMemoryKiB,
                saltByteCount >= 8, saltByteCount <= 1024,
                hashByteCount >= 16, hashByteCount <= 1024
            else {
                let detail = "m=\(memoryKiB) t=\(iterations) p=\(parallelism) salt=\(saltByteCount) hash=\(hashByteCount)"
                throw CryptoError(.invalidParameters, detail: detail)
            }
        }

        /// The byte count of unpadded standard base64 text, or `nil` if it has invalid characters or length.
        private static func decodedCount(_ text: Substring) -> Int? {
            let isBase64 = text.utf8.allSatisfy { character in
                switch character {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"):
                    true
                default:
                    false
                }
            }
            let count = text.utf8.count
            guard isBase64, count > 0, count % 4 != 1 else { return nil }
            return count * 3 / 4
        }
    }
}
