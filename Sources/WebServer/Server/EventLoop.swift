import CSystemShim
import DequeModule
import Foundation
import Synchronization

/// Something registered with an ``EventLoop`` for readiness events on a file descriptor.
protocol EventLoopHandler: AnyObject {
    /// Called on the loop thread with the epoll event bits.
    func handleEvents(_ events: UInt32)
    /// Called on the loop thread about every ``EventLoop/tickInterval`` to enforce deadlines.
    func tick(now: ContinuousClock.Instant)
}

/// One thread running `epoll_wait`, owning every socket registered with it, and a Swift task executor.
///
/// Handlers run as tasks that prefer this executor, so a request is parsed, handled and answered on the
/// same thread without hops. Work from other threads arrives through ``execute(_:)`` and an eventfd.
/// Everything marked loop-confined below is touched only on the loop thread.
final class EventLoop: TaskExecutor, @unchecked Sendable {
    // @unchecked Sendable: cross-thread state is in `inbox` (a Mutex); the rest is loop-confined.
    private struct Inbox {
        var work: [@Sendable () -> Void] = []
        var jobs: [UnownedJob] = []
        var isWakePending = false
        /// Set when ``run()`` returned: later work goes to `afterStop` so handlers still running can finish.
        var isStopped = false
    }

    /// How often handlers get ``EventLoopHandler/tick(now:)``.
    static let tickInterval: Duration = .milliseconds(250)

    let index: Int
    private let epollFD: Int32
    private let wakeFD: Int32
    private let inbox = Mutex(Inbox())
    private let threadID = Atomic<UInt>(0)
    private let isStopRequested = Atomic<Bool>(false)
    /// Runs work and jobs that arrive after the loop stopped (a handler outliving the shutdown grace period),
    /// one at a time, so loop-confined state is still touched by one thread at a time.
    private let afterStop: DispatchQueue

    // Loop-confined.
    private var handlerObjects: [Int32: any EventLoopHandler] = [:]
    private var interest: [Int32: UInt32] = [:]
    private var lastTick = ContinuousClock.now
    /// Loop-confined scratch buffer for socket reads.
    var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)
    /// Loop-confined cached `Date` header value, refreshed once a second.
    private(set) var dateHeader = HTTPDate.now()
    private var dateHeaderSecond = time(nil)

    init(index: Int) throws {
        self.index = index
        afterStop = DispatchQueue(label: "falaj-http-\(index)-after-stop")
        epollFD = falaj_epoll_create()
        guard epollFD >= 0 else { throw SocketError.make("epoll_create1") }
        wakeFD = falaj_eventfd()
        guard wakeFD >= 0 else {
            let error = SocketError.make("eventfd")
            close(epollFD)
            throw error
        }
        _ = falaj_epoll_ctl(epollFD, FALAJ_EPOLL_CTL_ADD, wakeFD, FALAJ_EPOLLIN, UInt64(UInt32(bitPattern: wakeFD)))
    }

    deinit {
        close(wakeFD)
        close(epollFD)
    }

    /// Whether the caller runs on this loop's thread.
    var inEventLoop: Bool { threadID.load(ordering: .relaxed) == UInt(bitPattern: Int(bitPattern: pthread_self())) }

    private static let currentKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// The loop whose thread the caller runs on (a request's handler, between its awaits), or nil elsewhere.
    static var current: EventLoop? {
        pthread_getspecific(currentKey).map { Unmanaged<EventLoop>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Loop-confined: kept-alive upstream connections by `host:port` (see ``Upstream``).
    var idleUpstreams: [String: [UpstreamConnection]] = [:]

    /// Runs `work` on the loop thread (soon, in order). Safe from any thread.
    func execute(_ work: @escaping @Sendable () -> Void) {
        let (shouldWake, isStopped) = inbox.withLock { inbox in
            if inbox.isStopped { return (false, true) }
            inbox.work.append(work)
            return (markWake(&inbox), false)
        }
        if isStopped { afterStop.async(execute: work) }
        if shouldWake { _ = falaj_eventfd_signal(wakeFD) }
    }

    /// TaskExecutor: queue a job to run on the loop thread.
    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let (shouldWake, isStopped) = inbox.withLock { inbox in
            if inbox.isStopped { return (false, true) }
            inbox.jobs.append(unowned)
            return (markWake(&inbox), false)
        }
        if isStopped {
            let executor = asUnownedTaskExecutor()
            afterStop.async { unowned.runSynchronously(on: executor) }
        }
        if shouldWake { _ = falaj_eventfd_signal(wakeFD) }
    }

    private func markWake(_ inbox: inout Inbox) -> Bool {
        // On the loop thread the inbox is drained before the next epoll_wait; no syscall needed.
        if inEventLoop || inbox.isWakePending { return false }
        inbox.isWakePending = true
        return true
    }

    /// Asks the loop to return from ``run()`` after the current iteration.
    func stop() {
        isStopRequested.store(true, ordering: .relaxed)
        _ = falaj_eventfd_signal(wakeFD)
    }

    // MARK: Registration (loop thread only)

    /// Registers `handler` for `events` on `fd`.
    func register(_ handler: any EventLoopHandler, fd: Int32, events: UInt32) throws {
        handlerObjects[fd] = handler
        interest[fd] = events
        guard falaj_epoll_ctl(epollFD, FALAJ_EPOLL_CTL_ADD, fd, events, UInt64(UInt32(bitPattern: fd))) == 0 else {
            handlerObjects[fd] = nil
            interest[fd] = nil
            throw SocketError.make("epoll_ctl(ADD)")
        }
    }

    /// Changes the events watched on `fd` (no syscall when unchanged).
    func modify(fd: Int32, events: UInt32) {
        guard let current = interest[fd], current != events else { return }
        interest[fd] = events
        _ = falaj_epoll_ctl(epollFD, FALAJ_EPOLL_CTL_MOD, fd, events, UInt64(UInt32(bitPattern: fd)))
    }

    /// Stops watching `fd`; call before closing it.
    func deregister(fd: Int32) {
        guard handlerObjects.removeValue(forKey: fd) != nil else { return }
        interest[fd] = nil
        _ = falaj_epoll_ctl(epollFD, FALAJ_EPOLL_CTL_DEL, fd, 0, 0)
    }

    /// The connection registered on `fd` if it is still the one with `id` (fds are reused after close).
    func connection(fd: Int32, id: UInt64) -> HTTPConnection? {
        guard let connection = handlerObjects[fd] as? HTTPConnection, connection.id == id else { return nil }
        return connection
    }

    /// Every registered handler (for shutdown).
    var registeredHandlers: [any EventLoopHandler] { Array(handlerObjects.values) }

    // MARK: The loop

    /// Runs until ``stop()``; call on a dedicated thread.
    func run() {
        threadID.store(UInt(bitPattern: Int(bitPattern: pthread_self())), ordering: .relaxed)
        pthread_setspecific(Self.currentKey, Unmanaged.passUnretained(self).toOpaque())
        defer { pthread_setspecific(Self.currentKey, nil) }
        var events = [falaj_epoll_event](repeating: falaj_epoll_event(), count: 256)
        while !isStopRequested.load(ordering: .relaxed) {
            let hasQueuedWork = inbox.withLock { !$0.work.isEmpty || !$0.jobs.isEmpty }
            let timeout: Int32 = hasQueuedWork ? 0 : 250
            let count = events.withUnsafeMutableBufferPointer { falaj_epoll_wait(epollFD, $0.baseAddress, Int32($0.count), timeout) }
            if count > 0 { refreshDate() }
            for i in 0..<Int(max(count, 0)) {
                let fd = Int32(truncatingIfNeeded: events[i].data)
                if fd == wakeFD {
                    _ = falaj_eventfd_drain(wakeFD)
                    continue
                }
                handlerObjects[fd]?.handleEvents(events[i].events)
            }
            runQueuedWork()
            let now = ContinuousClock.now
            if now - lastTick >= Self.tickInterval {
                lastTick = now
                refreshDate()
                for handler in Array(handlerObjects.values) { handler.tick(now: now) }
            }
        }
        // Upstream connections die with the loop: nothing would watch them or their deadlines any more.
        for case let upstream as UpstreamConnection in Array(handlerObjects.values) { upstream.abort() }
        runQueuedWork()
        let (work, jobs) = inbox.withLock { inbox in
            inbox.isStopped = true
            defer {
                inbox.work.removeAll()
                inbox.jobs.removeAll()
            }
            return (inbox.work, inbox.jobs)
        }
        let executor = asUnownedTaskExecutor()
        afterStop.async {
            for item in work { item() }
            for job in jobs { job.runSynchronously(on: executor) }
        }
    }

    private func runQueuedWork() {
        // Jobs may queue more work on this loop; drain until quiet, but bound the rounds so I/O is not starved.
        for _ in 0..<64 {
            let (work, jobs) = inbox.withLock { inbox in
                inbox.isWakePending = false
                defer {
                    inbox.work.removeAll(keepingCapacity: true)
                    inbox.jobs.removeAll(keepingCapacity: true)
                }
                return (inbox.work, inbox.jobs)
            }
            if work.isEmpty && jobs.isEmpty { return }
            for item in work { item() }
            for job in jobs { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }

    private func refreshDate() {
        let now = time(nil)
        if now != dateHeaderSecond {
            dateHeaderSecond = now
            dateHeader = HTTPDate.format(now)
        }
    }
}

/// Formats the `Date` header (IMF-fixdate, RFC 9110 §5.6.7).
enum HTTPDate {
    static func now() -> [UInt8] { format(time(nil)) }

    static func format(_ seconds: time_t) -> [UInt8] {
        var value = seconds
        var parts = tm()
        gmtime_r(&value, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        return buffer[0..<length].map { UInt8(bitPattern: $0) }
    }

    /// Parses an IMF-fixdate (for `If-Modified-Since`); nil when malformed.
    static func parse(_ text: String) -> time_t? {
        let seconds = text.withCString { falaj_parse_http_date($0) }
        return seconds < 0 ? nil : time_t(seconds)
    }
}
