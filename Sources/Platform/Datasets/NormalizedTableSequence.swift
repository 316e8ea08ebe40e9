import Synchronization

/// The bytes of an upload turned into the dataset's normalised CSV as they arrive (see ``TableIngestion``), for
/// ``TenantBlobs/put(_:name:from:expectedSHA256:)`` to encrypt and store. When the upload is refused it throws, and the
/// blob store keeps nothing; when it ends, ``outcome`` holds what the ingestion found.
struct NormalizedTableSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == [UInt8] {
    typealias Element = [UInt8]

    let base: Base
    let settings: IngestionSettings
    let result = IngestionResult()

    /// Where the iterator leaves the outcome once the input has ended.
    final class IngestionResult: Sendable {
        private let value = Mutex<IngestionOutcome?>(nil)
        /// The outcome, once the whole input was read and accepted.
        var outcome: IngestionOutcome? { value.withLock { $0 } }
        fileprivate func set(_ outcome: IngestionOutcome) { value.withLock { $0 = outcome } }
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        var ingestion: TableIngestion
        let result: IngestionResult
        var isFinished = false

        mutating func next() async throws -> [UInt8]? {
            while !isFinished {
                guard let chunk = try await base.next() else {
                    isFinished = true
                    let (tail, outcome) = try ingestion.finish()
                    result.set(outcome)
                    return tail.isEmpty ? nil : tail
                }
                let output = try ingestion.consume(chunk)
                if !output.isEmpty { return output }
            }
            return nil
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), ingestion: TableIngestion(settings: settings), result: result)
    }
}
