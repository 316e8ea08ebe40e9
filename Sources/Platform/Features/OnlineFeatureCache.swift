import Foundation
import Synchronization
import Tabular

/// The in-process cache of the online store: one entry per (feature group, entity key), including "no row" answers,
/// so repeated reads of hot entities cost no database round trip.
///
/// Correctness across control-plane replicas: every write to a group's online rows (a push) NOTIFYs `falaj_features`
/// at commit, and every replica's listener calls ``invalidate(group:)``; a listener that (re)connects calls
/// ``invalidateAll()`` because notifications may have been missed. Each group has a generation that invalidation bumps;
/// a reader takes the generation *before* it reads the database and stores what it read under that generation, so a
/// write that commits during the read makes the stored entry stale at once rather than leaving an old value behind.
/// Entries also expire after ``maximumAge`` (a safety net should a notification be lost without a reconnect), and
/// the cache holds at most ``capacity`` entries (when full, it is emptied: simple and bounded).
final class OnlineFeatureCache: Sendable {
    /// What the cache remembers for one entity of one group.
    struct Entry: Sendable {
        /// The group's generation when the row was read.
        var generation: UInt64
        /// When it was read.
        var readAt: ContinuousClock.Instant
        /// The row, or nil when the entity has none.
        var row: OnlineRow?
    }

    /// One online-store row, decoded.
    struct OnlineRow: Sendable, Equatable {
        var version: Int
        var eventTime: Date
        var values: [String: TabularValue]
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var generations: [UUID: UInt64] = [:]
        var epoch: UInt64 = 0
    }

    private struct Key: Hashable {
        var group: UUID
        var entityKey: String
    }

    /// Entries older than this are not used (default 60 s).
    let maximumAge: Duration
    /// The most entries kept (default 200,000).
    let capacity: Int
    private let state = Mutex(State())

    init(maximumAge: Duration = .seconds(60), capacity: Int = 200_000) {
        self.maximumAge = maximumAge
        self.capacity = capacity
    }

    /// The generation to read `group` under: take it before reading the database.
    func generation(of group: UUID) -> UInt64 {
        state.withLock { $0.epoch &+ ($0.generations[group] ?? 0) }
    }

    /// The cached answer for `entityKey` of `group`, if it is current.
    func lookup(group: UUID, entityKey: String) -> Entry? {
        let now = ContinuousClock.now
        return state.withLock { state in
            guard let entry = state.entries[Key(group: group, entityKey: entityKey)] else { return nil }
            guard entry.generation == state.epoch &+ (state.generations[group] ?? 0), now - entry.readAt < maximumAge else { return nil }
            return entry
        }
    }

    /// Remembers what was read under `generation` (see ``generation(of:)``).
    func store(group: UUID, generation: UInt64, rows: [String: OnlineRow?]) {
        let now = ContinuousClock.now
        state.withLock { state in
            if state.entries.count + rows.count > capacity { state.entries.removeAll(keepingCapacity: true) }
            for (entityKey, row) in rows {
                state.entries[Key(group: group, entityKey: entityKey)] = Entry(generation: generation, readAt: now, row: row)
            }
        }
    }

    /// Makes every entry of `group` stale (a write to its online rows).
    func invalidate(group: UUID) {
        state.withLock { $0.generations[group, default: 0] &+= 1 }
    }

    /// Makes every entry stale (a listener reconnected: notifications may have been missed).
    func invalidateAll() {
        state.withLock { state in
            state.epoch &+= 1
            state.entries.removeAll(keepingCapacity: true)
        }
    }

    /// Entries held (for tests and metrics).
    var count: Int { state.withLock { $0.entries.count } }
}
