import Synchronization
import Tabular

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
        /// Keeps the column statistics on another thread (started with the first batch of accepted rows).
        var statistics: StatisticsWorker?

        mutating func next() async throws -> [UInt8]? {
            while !isFinished {
                guard let chunk = try await base.next() else {
                    isFinished = true
                    var (tail, outcome) = try ingestion.finish()
                    try await handOverStatisticsRows(atLeast: 1)
                    outcome.statistics = await statistics?.finish().summary().columns ?? []
                    result.set(outcome)
                    return tail.isEmpty ? nil : tail
                }
                let output = try ingestion.consume(chunk)
                try await handOverStatisticsRows(atLeast: StatisticsWorker.batchRows)
                if !output.isEmpty { return output }
            }
            return nil
        }

        private mutating func handOverStatisticsRows(atLeast count: Int) async throws {
            guard ingestion.pendingStatisticsRowCount >= count, let columns = ingestion.chosenColumns else { return }
            if statistics == nil { statistics = StatisticsWorker(columns: columns) }
            await statistics?.add(ingestion.takeStatisticsRows())
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), ingestion: TableIngestion(settings: settings, offloadsStatistics: true), result: result)
    }
}
