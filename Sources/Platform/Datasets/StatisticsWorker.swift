import AsyncAlgorithms
import Tabular

/// Computes an upload's column statistics on another thread than the one reading it, so an ingestion uses two cores:
/// the request's task parses and writes rows on its event loop, this worker keeps the sketches on the global
/// concurrent executor (a task started with that executor preference; it would otherwise share the event loop).
///
/// Rows arrive in batches through an `AsyncChannel`: ``add(_:)`` waits until the worker takes the batch, so at most
/// one batch waits while another is summarised and memory stays bounded. Dropping the worker without ``finish()``
/// (a refused upload) ends its task.
final class StatisticsWorker: Sendable {
    /// Rows per batch handed over (about a megabyte of values for 20 columns).
    static let batchRows = 4_096

    private let channel: AsyncChannel<[[TabularValue]]>
    private let task: Task<TableStatistics, Never>

    /// Starts the worker for rows of `columns`.
    init(columns: [Column]) {
        let channel = AsyncChannel<[[TabularValue]]>()
        self.channel = channel
        task = Task(executorPreference: globalConcurrentExecutor) {
            var statistics = TableStatistics(columns: columns)
            for await batch in channel {
                for row in batch { statistics.add(row: row) }
            }
            return statistics
        }
    }

    deinit {
        channel.finish()
    }

    /// Hands a batch over; returns once the worker has taken it.
    func add(_ rows: [[TabularValue]]) async {
        guard !rows.isEmpty else { return }
        await channel.send(rows)
    }

    /// The statistics of every row added, once the worker has summarised them all.
    func finish() async -> TableStatistics {
        channel.finish()
        return await task.value
    }
}
