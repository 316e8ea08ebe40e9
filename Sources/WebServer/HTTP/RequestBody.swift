import DequeModule
import HTTPTypes
import Synchronization

/// A request body, streamed from the socket as it arrives, with back-pressure.
///
/// Iterate it for chunks, or ``collect(upTo:)`` to gather a small body. A body can be read once.
/// When the handler reads slowly, the server stops reading from the socket instead of buffering without bound.
public struct RequestBody: Sendable, AsyncSequence {
    /// The chunk type.
    public typealias Element = [UInt8]

    enum Storage: Sendable {
        case bytes([UInt8])
        case stream(RequestBodyStream)
    }

    let storage: Storage

    /// An empty body.
    public static let empty = RequestBody(storage: .bytes([]))

    /// A body whose bytes are all known (tests, already-buffered requests).
    public init(bytes: [UInt8]) { storage = .bytes(bytes) }

    init(storage: Storage) { self.storage = storage }

    /// Reads the whole body; throws ``HTTPError`` 413 when it is longer than `maxBytes`.
    public func collect(upTo maxBytes: Int) async throws -> [UInt8] {
        switch storage {
        case .bytes(let bytes):
            guard bytes.count <= maxBytes else { throw HTTPError(.contentTooLarge, "Request body exceeds \(maxBytes) bytes") }
            return bytes
        case .stream:
            var collected: [UInt8] = []
            for try await chunk in self {
                guard collected.count + chunk.count <= maxBytes else {
                    throw HTTPError(.contentTooLarge, "Request body exceeds \(maxBytes) bytes")
                }
                collected.append(contentsOf: chunk)
            }
            return collected
        }
    }

    /// Iterates the body's chunks.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var storage: Storage
        var consumed = false

        /// The next chunk, or nil at the end of the body.
        public mutating func next() async throws -> [UInt8]? {
            switch storage {
            case .bytes(let bytes):
                guard !consumed, !bytes.isEmpty else { return nil }
                consumed = true
                return bytes
            case .stream(let stream):
                return try await stream.next()
            }
        }
    }

    /// Makes the iterator.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(storage: storage) }
}

/// The channel between a connection (producer, on its event loop) and the handler reading the body (consumer).
final class RequestBodyStream: Sendable {
    private struct State {
        var chunks = Deque<[UInt8]>()
        var bufferedBytes = 0
        var isFinished = false
        var failure: (any Error)?
        var waiter: CheckedContinuation<[UInt8]?, any Error>?
        var isProducerPaused = false
    }

    /// Above this many buffered bytes the producer should stop reading the socket.
    static let highWatermark = 256 * 1024
    /// Below this the consumer asks the producer to resume.
    static let lowWatermark = 64 * 1024

    private let state = Mutex(State())
    /// Called (from the consumer's thread) when the producer was paused and the buffer has drained.
    private let onDemand: @Sendable () -> Void

    init(onDemand: @escaping @Sendable () -> Void) {
        self.onDemand = onDemand
    }

    /// Producer: adds a chunk; returns true when the producer should pause reading.
    func append(_ chunk: [UInt8]) -> Bool {
        let (waiter, pause): (CheckedContinuation<[UInt8]?, any Error>?, Bool) = state.withLock { state in
            if let waiter = state.waiter {
                state.waiter = nil
                return (waiter, false)
            }
            state.chunks.append(chunk)
            state.bufferedBytes += chunk.count
            let pause = state.bufferedBytes >= Self.highWatermark
            if pause { state.isProducerPaused = true }
            return (nil, pause)
        }
        waiter?.resume(returning: chunk)
        return pause
    }

    /// Producer: the body ended.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<[UInt8]?, any Error>? in
            state.isFinished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// Producer: the body cannot complete (connection closed, deadline, limit).
    func fail(_ error: any Error) {
        let waiter = state.withLock { state -> CheckedContinuation<[UInt8]?, any Error>? in
            guard !state.isFinished, state.failure == nil else { return nil }
            state.failure = error
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(throwing: error)
    }

    /// Consumer: the next chunk, nil at the end.
    func next() async throws -> [UInt8]? {
        try await withCheckedThrowingContinuation { continuation in
            enum Outcome { case chunk([UInt8]?, resume: Bool), failed(any Error), wait(resume: Bool) }
            let outcome: Outcome = state.withLock { state in
                if let chunk = state.chunks.popFirst() {
                    state.bufferedBytes -= chunk.count
                    var resume = false
                    if state.isProducerPaused && state.bufferedBytes < Self.lowWatermark {
                        state.isProducerPaused = false
                        resume = true
                    }
                    return .chunk(chunk, resume: resume)
                }
                if let failure = state.failure { return .failed(failure) }
                if state.isFinished { return .chunk(nil, resume: false) }
                state.waiter = continuation
                let resume = state.isProducerPaused
                state.isProducerPaused = false
                return .wait(resume: resume)
            }
            switch outcome {
            case .chunk(let chunk, let resume):
                if resume { onDemand() }
                continuation.resume(returning: chunk)
            case .failed(let error):
                continuation.resume(throwing: error)
            case .wait(let resume):
                if resume { onDemand() }
            }
        }
    }
}
