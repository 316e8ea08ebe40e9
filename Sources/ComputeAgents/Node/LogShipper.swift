import AgentProtocol
import Foundation
import Logging
import Synchronization

/// Output of one attempt waiting to be shipped; producers append, the shipper takes up to 64 KiB at a time.
final class LogBuffer: Sendable {
    private let state = Mutex<(bytes: [UInt8], isFinished: Bool)>(([], false))

    /// Appends output bytes.
    func append(_ bytes: [UInt8]) { state.withLock { $0.bytes += bytes } }

    /// Appends a line of agent text (e.g. why a command could not start).
    func appendLine(_ text: String) { append(Array((text + "\n").utf8)) }

    /// No more output will come.
    func finish() { state.withLock { $0.isFinished = true } }

    /// Takes up to `limit` bytes; `isFinished` once everything was taken after ``finish()``.
    func take(upTo limit: Int) -> (bytes: [UInt8], isFinished: Bool) {
        state.withLock { state in
            let count = min(limit, state.bytes.count)
            let taken = Array(state.bytes.prefix(count))
            state.bytes.removeFirst(count)
            return (taken, state.isFinished && state.bytes.isEmpty)
        }
    }
}

/// Ships a ``LogBuffer`` as ordered chunks `seq` 0, 1, 2, … of at most 64 KiB, each holding what arrived within
/// about 300 ms, retrying each chunk until the server acknowledges it (the server is idempotent on `seq`).
struct LogShipper: Sendable {
    /// The largest chunk.
    static let chunkLimit = 64 << 10
    let client: AgentClient
    let job: LeasedJob
    let buffer: LogBuffer
    let logger: Logger

    /// Runs until the buffer is finished and drained, or the task is cancelled. Returns the chunks shipped.
    @discardableResult
    func run() async -> Int {
        var seq = 0
        while !Task.isCancelled {
            let (bytes, isFinished) = buffer.take(upTo: Self.chunkLimit)
            if !bytes.isEmpty {
                guard await ship(bytes, seq: seq) else { return seq }
                seq += 1
                continue
            }
            if isFinished { return seq }
            try? await Task.sleep(for: .milliseconds(300))
        }
        return seq
    }

    /// Posts one chunk until acknowledged; false when it cannot be delivered (token refused, cancelled).
    private func ship(_ bytes: [UInt8], seq: Int) async -> Bool {
        do {
            _ = try await AgentClient.retrying(onRetry: { error, delay in
                logger.debug("log chunk \(seq) of job \(job.jobID) not delivered (\(error)); retrying in \(delay.secondsText)")
            }) {
                try await client.postLog(job: job.jobID, seq: seq, bytes: bytes, token: job.token)
            }
            return true
        } catch let error as AgentClientError {
            logger.warning("log chunk \(seq) of job \(job.jobID) refused: \(error); dropping the rest of its log")
            return false
        } catch {
            return false
        }
    }
}
