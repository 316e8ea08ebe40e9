import Foundation

/// Response bytes flowing from the curl thread (``write(_:)``, which blocks while the buffer is full) to one async
/// consumer (``next()``, which suspends while it is empty). At most `limit` bytes plus one chunk wait in between.
final class ResponseBodyPipe: Sendable {
    private let condition = NSCondition()
    private let limit: Int
    // Every `nonisolated(unsafe)` property below is read and written only while `condition` is locked.
    nonisolated(unsafe) private var chunks: [[UInt8]] = []
    nonisolated(unsafe) private var bufferedBytes = 0
    nonisolated(unsafe) private var publishedHead: HTTPResponseHead?
    nonisolated(unsafe) private var completion: Result<Void, any Error>?
    nonisolated(unsafe) private var isCancelledValue = false
    nonisolated(unsafe) private var headWaiter: CheckedContinuation<HTTPResponseHead, any Error>?
    nonisolated(unsafe) private var chunkWaiter: CheckedContinuation<[UInt8]?, any Error>?

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    // MARK: curl thread

    /// Hands the status and headers to the consumer; later calls are ignored.
    func publishHead(_ head: HTTPResponseHead) {
        condition.lock()
        guard publishedHead == nil else {
            condition.unlock()
            return
        }
        publishedHead = head
        let waiter = headWaiter
        headWaiter = nil
        condition.unlock()
        waiter?.resume(returning: head)
    }

    /// Queues `bytes`, blocking the calling (pool) thread while the buffer is full. False when the consumer is gone.
    func write(_ bytes: [UInt8]) -> Bool {
        condition.lock()
        while bufferedBytes >= limit && !isCancelledValue {
            condition.wait()
        }
        if isCancelledValue {
            condition.unlock()
            return false
        }
        if let waiter = chunkWaiter {
            chunkWaiter = nil
            condition.unlock()
            waiter.resume(returning: bytes)
            return true
        }
        chunks.append(bytes)
        bufferedBytes += bytes.count
        condition.unlock()
        return true
    }

    /// Ends the body: after the queued chunks the consumer sees the end (success) or the error.
    func finish(_ result: Result<Void, any Error>) {
        condition.lock()
        completion = result
        let pendingHead = publishedHead == nil ? headWaiter : nil
        headWaiter = nil
        let pendingChunk = chunks.isEmpty ? chunkWaiter : nil
        if pendingChunk != nil { chunkWaiter = nil }
        condition.unlock()
        switch result {
        case .success:
            pendingHead?.resume(throwing: HTTPClientError(.transferFailed, message: "the transfer ended without a response"))
            pendingChunk?.resume(returning: nil)
        case .failure(let error):
            pendingHead?.resume(throwing: error)
            pendingChunk?.resume(throwing: error)
        }
    }

    /// True once the consumer has gone (the curl progress callback then aborts the transfer).
    var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return isCancelledValue
    }

    // MARK: consumer

    /// Waits for the status and headers.
    func head() async throws -> HTTPResponseHead {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponseHead, any Error>) in
                condition.lock()
                if let publishedHead {
                    condition.unlock()
                    continuation.resume(returning: publishedHead)
                } else if let completion {
                    condition.unlock()
                    if case .failure(let error) = completion {
                        continuation.resume(throwing: error)
                    } else {
                        continuation.resume(throwing: HTTPClientError(.transferFailed, message: "the transfer ended without a response"))
                    }
                } else if isCancelledValue {
                    condition.unlock()
                    continuation.resume(throwing: CancellationError())
                } else {
                    headWaiter = continuation
                    condition.unlock()
                }
            }
        } onCancel: {
            cancel()
        }
    }

    /// The next chunk; nil after the last one of a complete body.
    func next() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
                condition.lock()
                if !chunks.isEmpty {
                    let chunk = chunks.removeFirst()
                    bufferedBytes -= chunk.count
                    condition.broadcast()
                    condition.unlock()
                    continuation.resume(returning: chunk)
                } else if let completion {
                    condition.unlock()
                    continuation.resume(with: completion.map { nil })
                } else if isCancelledValue {
                    condition.unlock()
                    continuation.resume(throwing: CancellationError())
                } else {
                    chunkWaiter = continuation
                    condition.unlock()
                }
            }
        } onCancel: {
            cancel()
        }
    }

    /// The consumer is gone: wakes the curl thread (whose next write fails) and fails any waiter.
    func cancel() {
        condition.lock()
        isCancelledValue = true
        condition.broadcast()
        let pendingHead = headWaiter
        let pendingChunk = chunkWaiter
        headWaiter = nil
        chunkWaiter = nil
        condition.unlock()
        pendingHead?.resume(throwing: CancellationError())
        pendingChunk?.resume(throwing: CancellationError())
    }
}

/// Request bytes flowing from an async source (``feed(from:)``, which suspends while the buffer is full) to the
/// curl read callback (``read(into:)``, which blocks its pool thread while the buffer is empty).
final class RequestBodyPipe: Sendable {
    /// What the read callback should tell curl.
    enum ReadResult {
        case bytes(Int)
        case end
        case abort
    }

    private let condition = NSCondition()
    private let limit: Int
    // Every `nonisolated(unsafe)` property below is read and written only while `condition` is locked.
    nonisolated(unsafe) private var chunks: [[UInt8]] = []
    nonisolated(unsafe) private var offsetInFirst = 0
    nonisolated(unsafe) private var bufferedBytes = 0
    nonisolated(unsafe) private var isEnded = false
    nonisolated(unsafe) private var sourceErrorValue: (any Error)?
    nonisolated(unsafe) private var isClosed = false
    nonisolated(unsafe) private var spaceWaiter: CheckedContinuation<Void, Never>?

    /// A pipe that the async side fills.
    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// A pipe already holding the whole body.
    init(bytes: [UInt8]) {
        self.limit = max(1, bytes.count)
        if !bytes.isEmpty { chunks = [bytes] }
        bufferedBytes = bytes.count
        isEnded = true
    }

    /// The error the source threw, if it did.
    var sourceError: (any Error)? {
        condition.lock()
        defer { condition.unlock() }
        return sourceErrorValue
    }

    // MARK: async side

    /// Copies `source` into the pipe until it ends, throws, or curl stops reading. Never throws: a source error is
    /// kept in ``sourceError`` and makes the read callback abort the transfer.
    func feed(from source: any AsyncSequence<[UInt8], any Error> & Sendable) async {
        do {
            try await copy(source)
            markEnded(error: nil)
        } catch {
            markEnded(error: error)
        }
    }

    private func markEnded(error: (any Error)?) {
        condition.lock()
        sourceErrorValue = error
        isEnded = true
        condition.broadcast()
        condition.unlock()
    }

    private var isClosedNow: Bool {
        condition.lock()
        defer { condition.unlock() }
        return isClosed
    }

    private func copy(_ source: some AsyncSequence<[UInt8], any Error>) async throws {
        for try await chunk in source {
            guard !chunk.isEmpty else { continue }
            guard await send(chunk) else { return }
        }
    }

    /// Queues `chunk`, then suspends while the buffer is full. False once curl stopped reading.
    private func send(_ chunk: [UInt8]) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            if !isClosed {
                chunks.append(chunk)
                bufferedBytes += chunk.count
                condition.broadcast()
            }
            if isClosed || bufferedBytes < limit {
                condition.unlock()
                continuation.resume()
            } else {
                spaceWaiter = continuation
                condition.unlock()
            }
        }
        return !isClosedNow
    }

    /// Curl is done with the body (or the exchange is over): wakes the source side, which then stops.
    func close() {
        condition.lock()
        isClosed = true
        condition.broadcast()
        let waiter = spaceWaiter
        spaceWaiter = nil
        condition.unlock()
        waiter?.resume()
    }

    // MARK: curl thread

    /// Fills `buffer` with the next bytes, blocking the calling (pool) thread while none are ready.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> ReadResult {
        condition.lock()
        while chunks.isEmpty && !isEnded && !isClosed {
            condition.wait()
        }
        guard !chunks.isEmpty, !isClosed else {
            let result: ReadResult = (sourceErrorValue != nil || isClosed) ? .abort : .end
            condition.unlock()
            return result
        }
        let first = chunks[0]
        let count = min(buffer.count, first.count - offsetInFirst)
        first.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + offsetInFirst, byteCount: count)
        }
        offsetInFirst += count
        if offsetInFirst == first.count {
            chunks.removeFirst()
            offsetInFirst = 0
        }
        bufferedBytes -= count
        var waiter: CheckedContinuation<Void, Never>?
        if bufferedBytes < limit {
            waiter = spaceWaiter
            spaceWaiter = nil
        }
        condition.unlock()
        waiter?.resume()
        return .bytes(count)
    }
}
