internal import CSystemShim
import Foundation
import Glibc
public import Logging
import Synchronization

/// Delivers Postgres `NOTIFY` messages for a set of channels as an `AsyncSequence`.
///
/// It owns one dedicated connection and one dedicated thread (never the cooperative pool): the thread waits in
/// `poll()` on the connection's socket and a wake-up `eventfd`. When the connection breaks (backend killed, server
/// restarted) the thread reconnects every `reconnectDelay` and issues `LISTEN` again; notifications sent while it was
/// disconnected are lost (Postgres does not queue them). After each reconnect it delivers ``gapMarker`` (an empty
/// channel and payload), so a consumer that keeps a cache correct by notifications can drop it; ``isConnected`` and
/// ``gapCount`` let a consumer check, without waiting for the marker, that nothing can have been missed.
///
/// ```swift
/// let listener = try await PostgresListener(configuration: config, channels: ["jobs"])
/// for await notification in listener { … }   // ends when this task is cancelled or `stop()` is called
/// ```
///
/// Iterate it from one task only. Up to 10 000 undelivered notifications are buffered; beyond that the oldest are
/// dropped (and logged). Send notifications with ``PostgresPool/notify(channel:payload:file:line:)``.
public final class PostgresListener: AsyncSequence, Sendable {
    /// Each element is one notification.
    public typealias Element = PostgresNotification
    /// The sequence never throws; it just ends.
    public typealias Failure = Never

    private let stream: AsyncStream<PostgresNotification>
    private let control: ListenerControl

    /// Connects, `LISTEN`s on every channel, and returns once listening: anything notified after this returns is delivered.
    ///
    /// The connect and `LISTEN` run on the listener's own thread; the caller suspends.
    /// - Parameters:
    ///   - configuration: server, database and role.
    ///   - channels: the channel names (case-sensitive, as given to `pg_notify`).
    ///   - reconnectDelay: the pause between reconnect attempts after the connection breaks; default 0.5 s.
    ///   - logger: where reconnects and dropped notifications go; default label `falaj.postgres.listener`.
    /// - Throws: ``PostgresError`` when the first connect or `LISTEN` fails.
    public init(
        configuration: PostgresConfiguration,
        channels: [String],
        reconnectDelay: Duration = .milliseconds(500),
        logger: Logger = Logger(label: "falaj.postgres.listener")
    ) async throws {
        let control = try ListenerControl()
        let (stream, continuation) = AsyncStream.makeStream(of: PostgresNotification.self, bufferingPolicy: .bufferingNewest(10_000))
        continuation.onTermination = { _ in control.stop() }
        let loop = ListenerLoop(
            configuration: configuration,
            channels: channels,
            reconnectDelay: reconnectDelay,
            logger: logger,
            control: control,
            continuation: continuation
        )
        try await withCheckedThrowingContinuation { (started: CheckedContinuation<Void, any Error>) in
            let thread = Thread { loop.run(started: started) }
            thread.name = "falaj-pg-listen"
            thread.stackSize = 1 << 20
            thread.start()
        }
        self.stream = stream
        self.control = control
    }

    deinit {
        control.stop()
    }

    /// The iterator over notifications; iterate from one task only.
    public func makeAsyncIterator() -> AsyncStream<PostgresNotification>.Iterator {
        stream.makeAsyncIterator()
    }

    /// Delivered after each reconnect: notifications sent while the connection was down are lost.
    public static let gapMarker = PostgresNotification(channel: "", payload: "", backendPID: 0)

    /// How many times the connection was re-established since the listener started.
    public var reconnectCount: Int { control.reconnects.load(ordering: .relaxed) }

    /// Whether the connection is up and listening now. A cache that trusts notifications to stay correct must not
    /// trust them while this is false.
    public var isConnected: Bool { control.isConnected.load(ordering: .acquiring) }

    /// How many times notifications may have been lost since the listener started: each lost connection and each
    /// notification dropped from a full buffer adds one. A consumer that caches data compares it with the value it saw
    /// when it filled the cache, and drops everything when it moved.
    public var gapCount: Int { control.gaps.load(ordering: .acquiring) }

    /// Stops listening: closes the connection, ends the thread and finishes the sequence. Does not block. Safe to call twice.
    public func stop() {
        control.stop()
    }
}

/// Shared between a listener and its thread: the stop flag and the `eventfd` that wakes the thread's `poll()`.
final class ListenerControl: Sendable {
    let wakeDescriptor: Int32
    let isStopped = Atomic<Bool>(false)
    let reconnects = Atomic<Int>(0)
    let isConnected = Atomic<Bool>(false)
    let gaps = Atomic<Int>(0)

    init() throws {
        wakeDescriptor = falaj_eventfd()
        guard wakeDescriptor >= 0 else {
            throw PostgresError(.connectionFailed, "could not start the notification listener", detail: "eventfd failed: errno \(errno)")
        }
    }

    deinit {
        close(wakeDescriptor)
    }

    func stop() {
        guard !isStopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = falaj_eventfd_signal(wakeDescriptor)
    }

    /// Waits until the stop flag is set or `timeout` passes; drains the wake-up counter.
    func sleep(_ timeout: Duration) {
        var descriptor = pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, ListenerLoop.milliseconds(timeout))
        _ = falaj_eventfd_drain(wakeDescriptor)
    }
}
