public import Foundation
import PostgresClient
import Residency
import Synchronization

/// This process's authenticated API keys, so a request with a warm key makes no database round trip.
///
/// Correctness across control-plane processes: every change that can make a cached key wrong (revocation, expiry or
/// permission edits, the member's role or removal, custom-role edits, the tenant's suspension or erasure, the key's
/// route) fires a trigger that notifies `falaj_auth` with the tenant's id at commit (cell migration 0014, directory
/// migration 0007). Each process listens on the directory and on every cell (``APIKeyCacheListeners``) and drops the
/// tenant's entries; the process that made the change also drops them itself right after its commit, so its own
/// next request already sees it. Another process sees it once the notification arrives (milliseconds).
///
/// The cache is trusted only while every expected listener is connected and none has missed a notification since
/// the entries were filled (``PostgresListener/gapCount``); otherwise lookups miss and every request goes to the
/// database as it would without a cache. A process that runs no listeners (tests, admin commands) never caches.
/// Each tenant has a generation that invalidation bumps and entries carry; a reader takes a ticket *before* reading the
/// databases and its store is refused if anything was invalidated since, so a change committed during the read leaves
/// no stale entry behind. Entries are also reloaded after
/// ``maximumAge`` (which records the key's use, at most once a minute), and a key past its expiry is never served.
public final class APIKeyCache: Sendable {
    /// What the cache remembers of one live key: everything a request context needs except the request itself.
    struct Entry: Sendable {
        /// Set by ``store(prefix:_:ticket:)``.
        var generation: UInt64 = 0
        var loadedAt: ContinuousClock.Instant
        var tenant: TenantSummary
        var keyID: UUID
        var userID: UUID
        var secretHash: [UInt8]
        var role: Role
        var permissions: Set<Permission>
        var expiresAt: Date?
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var generations: [UUID: UInt64] = [:]
        var epoch: UInt64 = 0
        /// Counts every invalidation, of one tenant or all: a load that saw it move discards what it read.
        var changes: UInt64 = 0
        /// The databases whose listeners must all be connected for the cache to be trusted; empty → never trusted.
        var expected: Set<String> = []
        var listeners: [String: PostgresListener] = [:]
        /// The listeners' total ``PostgresListener/gapCount`` when the entries were last known good.
        var seenGaps = 0
    }

    /// Entries older than this are read again (default 60 s).
    let maximumAge: Duration
    /// The most keys kept (default 100,000); when full, the cache is emptied.
    let capacity: Int
    private let state = Mutex(State())

    /// An empty cache, not trusted until listeners are attached.
    public init(maximumAge: Duration = .seconds(60), capacity: Int = 100_000) {
        self.maximumAge = maximumAge
        self.capacity = capacity
    }

    /// Whether lookups can hit now: every expected listener connected.
    public var isTrusted: Bool { state.withLock { Self.trusted(&$0) } }

    /// Take this before reading a key from the databases and hand it to ``store(prefix:_:ticket:)``: a change
    /// committed while the key was read (any tenant's, as the tenant is not known yet) makes the store a no-op.
    func ticket() -> UInt64 {
        state.withLock { $0.changes }
    }

    /// The cached key with this prefix, if the cache is trusted, the entry current and the key not expired.
    func lookup(prefix: String) -> Entry? {
        let now = ContinuousClock.now
        let entry: Entry? = state.withLock { state in
            guard Self.trusted(&state), let entry = state.entries[prefix] else { return nil }
            guard entry.generation == state.epoch &+ (state.generations[entry.tenant.id.rawValue] ?? 0), now - entry.loadedAt < maximumAge else {
                return nil
            }
            return entry
        }
        guard let entry else { return nil }
        if let expiresAt = entry.expiresAt, expiresAt <= Date() { return nil }
        return entry
    }

    /// Remembers a key read after `ticket` was taken (see ``ticket()``), when the cache is trusted and nothing was
    /// invalidated since.
    func store(prefix: String, _ entry: Entry, ticket: UInt64) {
        state.withLock { state in
            guard Self.trusted(&state), state.changes == ticket else { return }
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            var entry = entry
            entry.generation = state.epoch &+ (state.generations[entry.tenant.id.rawValue] ?? 0)
            state.entries[prefix] = entry
        }
    }

    /// Drops every cached key of `tenant` (a notification, or a change this process just committed).
    public func invalidate(tenant: UUID) {
        state.withLock { state in
            state.generations[tenant, default: 0] &+= 1
            state.changes &+= 1
            state.entries = state.entries.filter { $0.value.tenant.id.rawValue != tenant }
        }
    }

    /// Drops every cached key.
    public func invalidateAll() {
        state.withLock { Self.dropAll(&$0) }
    }

    /// Keys held (for tests and metrics).
    public var count: Int { state.withLock { $0.entries.count } }

    /// Sets the databases whose listeners must be connected before the cache is trusted; empty turns it off.
    func expect(_ databases: Set<String>) {
        state.withLock { state in
            state.expected = databases
            state.listeners = state.listeners.filter { databases.contains($0.key) }
            Self.dropAll(&state)
        }
    }

    /// Records the listener of `database` (nil: it stopped). Either way the entries are dropped: what was notified
    /// while there was no listener is unknown.
    func attach(_ listener: PostgresListener?, database: String) {
        state.withLock { state in
            state.listeners[database] = listener
            Self.dropAll(&state)
        }
    }

    private static func dropAll(_ state: inout State) {
        state.epoch &+= 1
        state.changes &+= 1
        state.entries.removeAll(keepingCapacity: true)
        state.seenGaps = state.listeners.values.reduce(0) { $0 + $1.gapCount }
    }

    /// Every expected listener connected; a gap since the entries were filled drops them (and the cache stays trusted).
    private static func trusted(_ state: inout State) -> Bool {
        guard !state.expected.isEmpty, state.listeners.count == state.expected.count else { return false }
        var gaps = 0
        for listener in state.listeners.values {
            guard listener.isConnected else { return false }
            gaps += listener.gapCount
        }
        if gaps != state.seenGaps { dropAll(&state) }
        return true
    }
}
