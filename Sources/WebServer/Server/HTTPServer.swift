import CSystemShim
import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// The HTTP/1.1 server: event-loop threads on epoll, each with its own listening socket.
///
/// `init` binds the port (so a bind error surfaces at once and ``port`` is known); ``run()`` starts the
/// loops and returns after graceful shutdown: stop accepting, let in-flight requests finish up to
/// ``HTTPServerConfiguration/shutdownGracePeriod``, close idle connections, then close the rest.
public final class HTTPServer: Service, Sendable {
    /// The port the server listens on (useful when the configuration asked for port 0).
    public let port: Int
    private let configuration: HTTPServerConfiguration
    private let state: ServerState
    private let loops: [EventLoop]
    private let shutdownSignal = ShutdownSignal()
    private let makeTransport: @Sendable (Int32) throws -> ConnectionTransport

    /// Binds the listening sockets. Throws ``SocketError`` when the address cannot be bound.
    /// - Parameters:
    ///   - configuration: address, threads, limits and shutdown grace period.
    ///   - responder: answers every request (usually a ``Router``).
    ///   - logger: for connection-level events; request logs come from middleware.
    /// Also loads the TLS certificate and key when ``HTTPServerConfiguration/tls`` is set (throws ``TLSError``).
    /// SIGPIPE is ignored process-wide from here on: OpenSSL writes without MSG_NOSIGNAL.
    public convenience init(configuration: HTTPServerConfiguration, responder: some HTTPResponder, logger: Logger) throws {
        signal(SIGPIPE, SIG_IGN)
        let makeTransport: @Sendable (Int32) throws -> ConnectionTransport
        if let tls = configuration.tls {
            let context = try TLSContext(configuration: tls)
            makeTransport = { fd in try ConnectionTransport.tls(context, fd: fd) }
        } else {
            makeTransport = { _ in .plain }
        }
        try self.init(configuration: configuration, responder: responder, logger: logger, makeTransport: makeTransport)
    }

    init(
        configuration: HTTPServerConfiguration,
        responder: some HTTPResponder,
        logger: Logger,
        makeTransport: @escaping @Sendable (Int32) throws -> ConnectionTransport
    ) throws {
        self.configuration = configuration
        self.makeTransport = makeTransport
        state = ServerState(responder: responder, limits: configuration.limits, logger: logger)
        var loops: [EventLoop] = []
        var boundPort = Int32(configuration.port)
        var listenFDs: [Int32] = []
        do {
            for index in 0..<max(1, configuration.eventLoopCount) {
                loops.append(try EventLoop(index: index))
                var actualPort: Int32 = 0
                let fd = falaj_listen(configuration.host, boundPort, configuration.backlog, &actualPort)
                guard fd >= 0 else { throw SocketError.make("bind \(configuration.host):\(boundPort)") }
                listenFDs.append(fd)
                boundPort = actualPort  // later loops join the same (possibly ephemeral) port
            }
        } catch {
            for fd in listenFDs { Foundation.close(fd) }
            throw error
        }
        self.loops = loops
        self.port = Int(boundPort)
        for (loop, fd) in zip(loops, listenFDs) {
            // The loop threads have not started yet, so registering from here cannot race with them.
            let listener = Listener(fd: fd, loop: loop, server: state, makeTransport: makeTransport)
            try loop.register(listener, fd: fd, events: FALAJ_EPOLLIN)
        }
    }

    /// Connections open right now.
    public var openConnectionCount: Int { state.openConnections.load(ordering: .relaxed) }
    /// Connections accepted since start.
    public var acceptedConnectionCount: Int { state.acceptedConnections.load(ordering: .relaxed) }

    /// Serves until graceful shutdown (or cancellation), then drains and stops the loops.
    public func run() async throws {
        var threads: [Thread] = []
        let stopped = ThreadExitCounter(count: loops.count)
        for loop in loops {
            let name = "falaj-http-\(loop.index)"
            let thread = Thread {
                // On Linux, Foundation applies a name to the OS thread only when set from the thread itself.
                Thread.current.name = name
                loop.run()
                stopped.threadExited()
            }
            thread.name = name
            thread.start()
            threads.append(thread)
        }
        state.logger.info(
            "listening",
            metadata: ["address": "\(configuration.host):\(port)", "event-loops": "\(loops.count)", "tls": "\(configuration.tls != nil)"]
        )
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await shutdownSignal.wait()
            } onGracefulShutdown: {
                self.shutdownSignal.trigger()
            }
        } onCancel: {
            self.shutdownSignal.trigger()
        }
        await drain()
        for loop in loops { loop.stop() }
        await stopped.wait()
        state.logger.info("stopped")
    }

    /// Starts graceful shutdown from code (tests, or a command that owns the server directly).
    public func shutdown() {
        shutdownSignal.trigger()
    }

    private func drain() async {
        state.isDraining.store(true, ordering: .relaxed)
        for loop in loops {
            loop.execute {
                for handler in loop.registeredHandlers {
                    if let listener = handler as? Listener { listener.close() }
                    if let connection = handler as? HTTPConnection { connection.tick(now: .now) }  // closes idle ones now
                    if let upstream = handler as? UpstreamConnection, upstream.isIdle { upstream.close() }  // kept-alive, unused
                }
            }
        }
        let deadline = ContinuousClock.now + configuration.shutdownGracePeriod
        while openConnectionCount > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if openConnectionCount > 0 {
            state.logger.warning("closing \(openConnectionCount) connections still busy after the grace period")
            for loop in loops {
                loop.execute {
                    for case let connection as HTTPConnection in loop.registeredHandlers { connection.close() }
                    for case let upstream as UpstreamConnection in loop.registeredHandlers { upstream.abort() }
                }
            }
        }
    }
}

/// A one-shot signal that many may wait on.
final class ShutdownSignal: Sendable {
    private let state = Mutex<(isTriggered: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func trigger() {
        let waiters = state.withLock { state in
            state.isTriggered = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let isTriggered = state.withLock { state in
                if !state.isTriggered { state.waiters.append(continuation) }
                return state.isTriggered
            }
            if isTriggered { continuation.resume() }
        }
    }
}

/// Lets async code wait for a set of threads to finish without blocking a cooperative thread.
final class ThreadExitCounter: Sendable {
    private let remaining: Mutex<Int>
    private let signal = ShutdownSignal()

    init(count: Int) { remaining = Mutex(count) }

    func threadExited() {
        let isLast = remaining.withLock { count in
            count -= 1
            return count == 0
        }
        if isLast { signal.trigger() }
    }

    func wait() async { await signal.wait() }
}
