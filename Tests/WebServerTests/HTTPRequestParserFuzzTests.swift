import Foundation
import Testing

@testable import WebServer

/// SplitMix64: small, fast and reproducible from its seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("HTTP request parser, randomised")
struct HTTPRequestParserFuzzTests {
    /// Bytes that matter to HTTP framing; mutations favour them over arbitrary bytes.
    static let interestingBytes: [UInt8] = Array("\r\n \t:;,0123456789abcdefABCDEF-+=\"/?%*".utf8) + [0x00, 0x7F, 0x80, 0xFF]

    /// The seed: `FALAJ_FUZZ_SEED` when set (to replay a failure), otherwise fresh each run.
    static let seed: UInt64 = {
        if let text = ProcessInfo.processInfo.environment["FALAJ_FUZZ_SEED"], let seed = UInt64(text) { return seed }
        return UInt64.random(in: 0...UInt64.max)
    }()

    @Test("never crashes, loops or over-buffers, whatever the bytes and however they are split", .timeLimit(.minutes(2)))
    func arbitraryAndMutatedInputs() {
        let seed = Self.seed
        var random = SeededGenerator(seed: seed)
        let limits = TestServer.smallLimits
        // When the parser asks for more input it may hold at most one unfinished line.
        let bufferBound = max(limits.maxRequestLineLength, limits.maxHeaderBytes, 1024) + 2
        let corpus = ValidRequestCase.all.map { Array($0.text.utf8) } + BadRequestCase.all.map(\.bytes)
        var failures = 0
        var outcomes: [String: Int] = [:]
        let inputCount = 2_400
        for index in 0..<inputCount where failures < 5 {
            let input: [UInt8]
            if index % 2 == 0 {
                input = Self.mutate(corpus.randomElement(using: &random)!, corpus: corpus, using: &random)
            } else {
                input = Self.arbitraryBytes(using: &random)
            }
            let whole = runParser(input, limits: limits, sliceSizes: [input.count])
            let slices = (0..<8).map { _ in Int.random(in: 1...24, using: &random) }
            let split = runParser(input, limits: limits, sliceSizes: slices)
            let context = "seed \(seed) (replay with FALAJ_FUZZ_SEED=\(seed)), input #\(index): \(Self.show(input))"
            var isFailure = false
            if whole.isRunaway || split.isRunaway {
                Issue.record("parser produced events without consuming input; \(context)")
                isFailure = true
            }
            if whole.steps != split.steps {
                Issue.record("result depends on how the input is split: \(whole.steps) vs \(split.steps) (slices \(slices)); \(context)")
                isFailure = true
            }
            let buffered = max(whole.maxBufferedWhileWaiting, split.maxBufferedWhileWaiting)
            if buffered > bufferBound {
                Issue.record("parser buffered \(buffered) bytes while waiting (bound \(bufferBound)); \(context)")
                isFailure = true
            }
            if isFailure { failures += 1 }
            let kind = whole.error.map { "error \($0)" } ?? (whole.steps.last == .end ? "complete" : "waiting")
            outcomes[kind, default: 0] += 1
        }
        // The corpus must exercise both success and failure, or the test is not testing much.
        #expect((outcomes["complete"] ?? 0) > 20, "outcomes: \(outcomes), seed \(seed)")
        #expect(outcomes.keys.filter { $0.hasPrefix("error") }.count >= 4, "outcomes: \(outcomes), seed \(seed)")
    }

    static func arbitraryBytes(using random: inout SeededGenerator) -> [UInt8] {
        let count = Int.random(in: 0...600, using: &random)
        if Bool.random(using: &random) {
            return (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
        }
        // Text that looks a little like HTTP, so more of it gets past the request line.
        let prefix = Array(["GET / HTTP/1.1\r\n", "POST /x HTTP/1.1\r\nHost: h\r\n", "", "PUT * HTTP/1.0\r\n"].randomElement(using: &random)!.utf8)
        return prefix + (0..<count).map { _ in interestingBytes.randomElement(using: &random)! }
    }

    static func mutate(_ original: [UInt8], corpus: [[UInt8]], using random: inout SeededGenerator) -> [UInt8] {
        var bytes = original
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<8, using: &random) {
            case 0 where !bytes.isEmpty:
                bytes[position] = interestingBytes.randomElement(using: &random)!
            case 1 where !bytes.isEmpty:
                bytes[position] = UInt8.random(in: 0...255, using: &random)
            case 2:
                bytes.insert(interestingBytes.randomElement(using: &random)!, at: position)
            case 3 where !bytes.isEmpty:
                let end = min(bytes.count, position + Int.random(in: 1...16, using: &random))
                bytes.removeSubrange(position..<end)
            case 4 where !bytes.isEmpty:
                let end = min(bytes.count, position + Int.random(in: 1...64, using: &random))
                bytes.insert(contentsOf: bytes[position..<end], at: position)
            case 5:
                bytes = Array(bytes.prefix(position))
            case 6:
                // Pipeline another request behind this one.
                bytes += corpus.randomElement(using: &random)!
            default:
                let numbers = ["0", "1", "-1", "65536", "ffffffffffffffff", "99999999999999999999", "7fffffffffffffff"]
                bytes.insert(contentsOf: Array(numbers.randomElement(using: &random)!.utf8), at: position)
            }
        }
        return bytes
    }

    /// The input as an escaped string, shortened for the failure message.
    static func show(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.prefix(300), as: UTF8.self).debugDescription
        return bytes.count > 300 ? text + "… (\(bytes.count) bytes)" : text
    }
}
