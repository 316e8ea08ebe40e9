internal import CSystemShim
import Glibc
import Logging
import Synchronization

/// The body of a ``PostgresListener``'s thread: connect, `LISTEN`, then `poll()` and deliver until stopped.
///
/// Everything here blocks and runs only on the listener's dedicated thread.
struct ListenerLoop: Sendable {
    let configuration: PostgresConfiguration
    let channels: [String]
    let reconnectDelay: Duration
    let logger: Logger
    let control: ListenerControl
    let continuation: AsyncStream<PostgresNotification>.Continuation

    /// Without traffic, the connection is checked with `SELECT 1` this often (finds half-open TCP connections).
    static let keepaliveInterval: Duration = .seconds(30)

    /// Runs until stopped. `started` is resumed once: after the first successful `LISTEN`, or with the first error.
    func run(started: CheckedContinuation<Void, any Error>) {
        var current: LibPQConnection?
        do {
            current = try connectAndListen()
        } catch {
            started.resume(throwing: error)
            continuation.finish()
            return
        }
        started.resume()
        while !control.isStopped.load(ordering: .acquiring) {
            guard let open = current else {
                control.sleep(reconnectDelay)
                if control.isStopped.load(ordering: .acquiring) { break }
                do {
                    current = try connectAndListen()
                    control.reconnects.add(1, ordering: .relaxed)
                    logger.info("postgres listener reconnected", metadata: ["channels": "\(channels)"])
                    continuation.yield(PostgresListener.gapMarker)
                } catch {
                    logger.debug("postgres listener reconnect failed", metadata: ["error": "\(String(reflecting: error))"])
                }
                continue
            }
            do {
                try waitAndDeliver(open)
            } catch {
                logger.warning("postgres listener lost its connection; reconnecting", metadata: ["error": "\(String(reflecting: error))"])
                control.isConnected.store(false, ordering: .releasing)
                control.gaps.add(1, ordering: .acquiringAndReleasing)
                current = nil
            }
        }
        control.isConnected.store(false, ordering: .releasing)
        current = nil
        continuation.finish()
    }

    /// Waits for input on the connection or a wake-up, then delivers what arrived.
    private func waitAndDeliver(_ connection: LibPQConnection) throws {
        var descriptors = [
            pollfd(fd: connection.socket, events: Int16(POLLIN), revents: 0),
            pollfd(fd: control.wakeDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        let ready = poll(&descriptors, 2, Self.milliseconds(Self.keepaliveInterval))
        if ready < 0 {
            guard errno == EINTR else {
                throw PostgresError(.connectionClosed, "the notification listener failed", detail: "poll failed: errno \(errno)")
            }
            return
        }
        if descriptors[1].revents != 0 { _ = falaj_eventfd_drain(control.wakeDescriptor) }
        if ready == 0 {
            _ = try connection.execute("SELECT 1")
        } else if descriptors[0].revents == 0 {
            return
        }
        for notification in try connection.readNotifications() {
            if case .dropped = continuation.yield(notification) {
                control.gaps.add(1, ordering: .acquiringAndReleasing)
                logger.warning("postgres listener buffer full; dropped the oldest notification", metadata: ["channel": "\(notification.channel)"])
            }
        }
    }

    private func connectAndListen() throws -> LibPQConnection {
        let connection = try LibPQConnection.connect(configuration, logger: logger)
        for channel in channels {
            _ = try connection.execute("LISTEN \(identifier: channel)")
        }
        control.isConnected.store(true, ordering: .releasing)
        return connection
    }

    /// `duration` in whole milliseconds for `poll()`, at least 1.
    static func milliseconds(_ duration: Duration) -> Int32 {
        let components = duration.components
        let total = components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
        return Int32(clamping: max(1, total))
    }
}
