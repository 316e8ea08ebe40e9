import DequeModule

/// What a waiting task is given when it is woken.
package enum PoolGrant<Connection> {
    /// A healthy connection that was just released.
    case connection(Connection)
    /// A free slot: the waiter opens a new connection itself.
    case slot
}

/// The pool's bookkeeping as a plain value: the pool feeds it events and carries out the actions it returns.
///
/// It does no I/O and takes no locks (the pool holds it in a `Mutex`), so its tests are one-line expectations.
/// `leased` counts connections in use *and* slots whose connection is being opened; `open = idle + leased`
/// never exceeds `maxConnections`. Waiters are served first-in, first-out.
package struct PoolStateMachine<Connection, Waiter> {
    /// What a waiter is given when it is woken.
    package typealias Grant = PoolGrant<Connection>

    /// What ``acquire(waiterID:waiter:)`` tells the caller to do.
    package enum AcquireAction {
        /// Use this idle connection (after a health check).
        case reuse(Connection)
        /// A slot is reserved: open a new connection.
        case connect
        /// The waiter was queued; wait for it to be resumed, and start its timeout.
        case wait
        /// The pool is closed.
        case closed
    }

    /// What a release or a waiter removal tells the caller to do.
    package enum ReleaseAction {
        /// Nothing more.
        case none
        /// Resume `waiter` with `grant`.
        case resume(Waiter, Grant)
        /// The pool is closed: drop the connection; `isLast` says no lease remains.
        case close(Connection?, isLast: Bool)
    }

    /// The most connections open at once.
    package let maxConnections: Int
    /// Idle connections; the most recently released is last.
    package private(set) var idle: [Connection] = []
    /// Connections in use or being opened.
    package private(set) var leased = 0
    /// Tasks waiting for a connection, oldest first.
    private var waiters = Deque<(id: Int, waiter: Waiter)>()
    /// True after ``close()``.
    package private(set) var isClosed = false

    /// An empty pool that opens at most `maxConnections` (at least 1).
    package init(maxConnections: Int) {
        self.maxConnections = max(1, maxConnections)
    }

    /// The number of tasks waiting.
    package var waiting: Int { waiters.count }

    /// A task wants a connection: reuse the newest idle one, reserve a slot, or queue `waiter` under `waiterID`.
    package mutating func acquire(waiterID: Int, waiter: Waiter) -> AcquireAction {
        if isClosed { return .closed }
        if let connection = idle.popLast() {
            leased += 1
            return .reuse(connection)
        }
        if leased < maxConnections {
            leased += 1
            return .connect
        }
        waiters.append((waiterID, waiter))
        return .wait
    }

    /// A lease ended with a reusable connection: hand it to the oldest waiter, or keep it idle.
    package mutating func release(_ connection: Connection) -> ReleaseAction {
        if isClosed {
            leased -= 1
            return .close(connection, isLast: leased == 0)
        }
        if let next = waiters.popFirst() {
            return .resume(next.waiter, .connection(connection))
        }
        leased -= 1
        idle.append(connection)
        return .none
    }

    /// A lease ended without a connection (it broke, was closed, or failed to open): pass the slot on or free it.
    package mutating func releaseSlot() -> ReleaseAction {
        if isClosed {
            leased -= 1
            return .close(nil, isLast: leased == 0)
        }
        if let next = waiters.popFirst() {
            return .resume(next.waiter, .slot)
        }
        leased -= 1
        return .none
    }

    /// Removes a waiter that timed out or was cancelled; nil when it was already served.
    package mutating func removeWaiter(id: Int) -> Waiter? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return waiters.remove(at: index).waiter
    }

    /// Closes the pool: returns the idle connections to drop and the waiters to fail.
    package mutating func close() -> (idle: [Connection], waiters: [Waiter], isDrained: Bool) {
        isClosed = true
        defer {
            idle = []
            waiters = []
        }
        return (idle, waiters.map(\.waiter), leased == 0)
    }
}
