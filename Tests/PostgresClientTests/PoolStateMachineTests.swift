import PostgresClient
import Testing

@Suite struct PoolStateMachineTests {
    typealias Machine = PoolStateMachine<String, String>

    @Test func opensUpToTheLimitThenQueues() {
        var machine = Machine(maxConnections: 2)
        guard case .connect = machine.acquire(waiterID: 1, waiter: "a") else {
            Issue.record("expected connect")
            return
        }
        guard case .connect = machine.acquire(waiterID: 2, waiter: "b") else {
            Issue.record("expected connect")
            return
        }
        guard case .wait = machine.acquire(waiterID: 3, waiter: "c") else {
            Issue.record("expected wait")
            return
        }
        #expect(machine.leased == 2)
        #expect(machine.waiting == 1)
    }

    @Test func releasedConnectionGoesToTheOldestWaiter() {
        var machine = Machine(maxConnections: 1)
        _ = machine.acquire(waiterID: 1, waiter: "holder")
        _ = machine.acquire(waiterID: 2, waiter: "first")
        _ = machine.acquire(waiterID: 3, waiter: "second")
        guard case .resume("first", .connection("conn")) = machine.release("conn") else {
            Issue.record("expected first waiter")
            return
        }
        guard case .resume("second", .slot) = machine.releaseSlot() else {
            Issue.record("expected slot for second")
            return
        }
        guard case .none = machine.release("conn2") else {
            Issue.record("expected idle")
            return
        }
        #expect(machine.idle == ["conn2"])
        #expect(machine.leased == 0)
    }

    @Test func idleConnectionsAreReusedNewestFirst() {
        var machine = Machine(maxConnections: 3)
        _ = machine.acquire(waiterID: 1, waiter: "a")
        _ = machine.acquire(waiterID: 2, waiter: "b")
        _ = machine.release("old")
        _ = machine.release("new")
        guard case .reuse("new") = machine.acquire(waiterID: 3, waiter: "c") else {
            Issue.record("expected newest")
            return
        }
    }

    @Test func timedOutWaiterIsRemovedOnce() {
        var machine = Machine(maxConnections: 1)
        _ = machine.acquire(waiterID: 1, waiter: "holder")
        _ = machine.acquire(waiterID: 2, waiter: "late")
        #expect(machine.removeWaiter(id: 2) == "late")
        #expect(machine.removeWaiter(id: 2) == nil)
        guard case .none = machine.releaseSlot() else {
            Issue.record("no waiter left")
            return
        }
        #expect(machine.leased == 0)
    }

    @Test func closeFailsWaitersAndClosesLateReleases() {
        var machine = Machine(maxConnections: 2)
        _ = machine.acquire(waiterID: 1, waiter: "a")
        _ = machine.acquire(waiterID: 2, waiter: "b")
        _ = machine.release("idle")
        _ = machine.acquire(waiterID: 3, waiter: "c")  // reuses "idle"
        _ = machine.acquire(waiterID: 4, waiter: "d")  // waits
        let closed = machine.close()
        #expect(closed.idle.isEmpty)
        #expect(closed.waiters == ["d"])
        #expect(!closed.isDrained)
        guard case .close("x", isLast: false) = machine.release("x") else {
            Issue.record("expected close")
            return
        }
        guard case .close(nil, isLast: true) = machine.releaseSlot() else {
            Issue.record("expected last close")
            return
        }
        guard case .closed = machine.acquire(waiterID: 5, waiter: "e") else {
            Issue.record("expected closed")
            return
        }
    }
}
