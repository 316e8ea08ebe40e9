import AsyncAlgorithms
import Residency
import Synchronization
import Tabular
import Tenancy

/// Reads a stored dataset version (the normalised CSV in the tenant's blob store) back as typed rows, in batches, so
/// that feature ingestion and training sets never hold a whole table.
struct StoredTableBatches {
    /// The stored object's name.
    var blobName: String
    /// The version's columns (the stored file's header, in order).
    var columns: [Column]
    /// Rows per call of the handler (the last call may have fewer).
    var batchSize = 5_000

    /// The parse state between chunks of the blob (the blob store calls its sink one chunk at a time).
    private struct State: ~Copyable {
        var reader = CSVReader()
        var pending: [[TabularValue]] = []
        var hasHeader = false
    }

    /// Runs `body` with the batches as an asynchronous sequence: the blob is read by a child task only as fast as
    /// `body` takes batches (a two-sided hand-off, nothing queues up). When `body` returns or throws, the read stops.
    /// - Throws: what `body` throws; iterating the sequence throws what ``forEachBatch(tenant:blobs:_:)`` throws.
    nonisolated(nonsending) func withBatches<Result>(
        tenant: TenantID, blobs: TenantBlobs, _ body: nonisolated(nonsending) (AsyncThrowingChannel<[[TabularValue]], any Error>) async throws -> Result
    ) async throws -> Result {
        let channel = AsyncThrowingChannel<[[TabularValue]], any Error>()
        let reader = self
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                do {
                    try await reader.forEachBatch(tenant: tenant, blobs: blobs) { batch in
                        await channel.send(batch)
                        try Task.checkCancellation()
                    }
                    channel.finish()
                } catch {
                    channel.fail(error)
                }
            }
            defer { tasks.cancelAll() }
            return try await body(channel)
        }
    }

    /// Decrypts the blob and calls `handle` with each batch of rows, in file order; `handle` runs before the next
    /// chunk is read, so a slow handler slows the read instead of buffering rows.
    /// - Throws: what `handle` throws; a blob-store error; ``PlatformError/conflict(_:)`` when the stored file does not
    ///   read as its recorded schema (it was written by this platform, so that means damage).
    func forEachBatch(
        tenant: TenantID, blobs: TenantBlobs, _ handle: @Sendable ([[TabularValue]]) async throws -> Void
    ) async throws {
        let state = Mutex(State())
        let columns = columns
        let batchSize = batchSize
        try await blobs.get(tenant, name: blobName) { chunk in
            let ready = try state.withLock { state in
                try state.reader.feed(chunk)
                return try Self.drain(&state, columns: columns, batchSize: batchSize)
            }
            for batch in ready { try await handle(batch) }
        }
        let last = try state.withLock { state in
            state.reader.finish()
            var batches = try Self.drain(&state, columns: columns, batchSize: batchSize)
            if !state.pending.isEmpty { batches.append(state.pending) }
            state.pending = []
            return batches
        }
        for batch in last { try await handle(batch) }
    }

    /// Parses what the reader holds; returns the full batches and keeps the rest pending.
    private static func drain(_ state: inout State, columns: [Column], batchSize: Int) throws -> [[[TabularValue]]] {
        if !state.hasHeader {
            guard let event = try state.reader.next() else { return [] }
            guard case .header(let names) = event, names == columns.map(\.name) else {
                throw PlatformError.conflict("A stored dataset file does not match its recorded columns; upload the version again")
            }
            state.hasHeader = true
        }
        var batches: [[[TabularValue]]] = []
        while let event = try state.reader.nextValues(for: columns) {
            switch event {
            case .record(_, let values): state.pending.append(values)
            case .rejected(let error):
                throw PlatformError.conflict("A stored dataset file does not read as its schema (\(error.reason)); upload the version again")
            }
            if state.pending.count >= batchSize {
                batches.append(state.pending)
                state.pending = []
                state.pending.reserveCapacity(batchSize)
            }
        }
        return batches
    }
}
