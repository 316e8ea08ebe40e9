import Foundation
import HTTPTypes
import Logging
import WebServer

/// Our own ``HTTPServer`` on 127.0.0.1 with an OS-chosen port, for one test; always shut down afterwards.
func withLocalServer<T>(
    tls: TLSConfiguration? = nil,
    routes: (inout RouterBuilder) -> Void,
    _ body: (_ baseURL: String) async throws -> T
) async throws -> T {
    var logger = Logger(label: "falaj.httpclient.tests")
    logger.logLevel = .critical
    var configuration = HTTPServerConfiguration()
    configuration.port = 0
    configuration.eventLoopCount = 1
    configuration.limits.maxBodySize = 64 << 20
    configuration.shutdownGracePeriod = .seconds(2)
    configuration.tls = tls
    var builder = RouterBuilder()
    routes(&builder)
    let server = try HTTPServer(configuration: configuration, responder: builder.build(logger: logger), logger: logger)
    let runTask = Task { try await server.run() }
    let baseURL = "\(tls == nil ? "http" : "https")://127.0.0.1:\(server.port)"
    do {
        let result = try await body(baseURL)
        server.shutdown()
        _ = try? await runTask.value
        return result
    } catch {
        server.shutdown()
        _ = try? await runTask.value
        throw error
    }
}

/// `count` bytes of a pattern whose period (a prime) does not line up with chunk sizes, so loss or reordering shows.
func patternBytes(_ count: Int, seed: Int = 0) -> [UInt8] {
    let period = 65_521  // a prime, so the pattern never lines up with chunk sizes
    let block = (0..<period).map { UInt8(truncatingIfNeeded: ($0 &+ seed) &* 7 &+ ($0 >> 9)) }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count)
    while bytes.count < count { bytes += block.prefix(count - bytes.count) }
    return bytes
}

/// Yields `bytes` in uneven chunks, then throws `failure` if given.
struct ChunkedSource: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    typealias Failure = any Error
    let bytes: [UInt8]
    var chunkSizes = [65_536, 1_000, 131_072, 7, 50_000]
    var failure: (any Error & Sendable)?

    func makeAsyncIterator() -> Iterator { Iterator(source: self) }

    struct Iterator: AsyncIteratorProtocol {
        let source: ChunkedSource
        var offset = 0
        var index = 0

        mutating func next() async throws -> [UInt8]? {
            guard offset < source.bytes.count else {
                if let failure = source.failure { throw failure }
                return nil
            }
            let size = Swift.min(source.chunkSizes[index % source.chunkSizes.count], source.bytes.count - offset)
            index += 1
            defer { offset += size }
            return Array(source.bytes[offset..<offset + size])
        }
    }
}

struct SourceFailure: Error, Equatable {}
