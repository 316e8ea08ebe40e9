import Foundation
import HTTPTypes
import Logging
import Synchronization
import TestSupport
import Testing
import WebServer

/// An ``HTTPServer`` on 127.0.0.1 with an OS-chosen port, running in a task, for one test.
struct TestServer {
    let server: HTTPServer
    let runTask: Task<Void, any Error>
    var port: Int { server.port }

    /// Limits small enough that tests can cross every one of them cheaply.
    static let smallLimits: HTTPServerLimits = {
        var limits = HTTPServerLimits()
        limits.maxRequestLineLength = 1024
        limits.maxHeaderBytes = 4096
        limits.maxHeaderCount = 20
        limits.maxBodySize = 1024
        return limits
    }()

    /// A logger that drops everything below `.critical`, so tests stay quiet.
    static let quietLogger: Logger = {
        var logger = Logger(label: "falaj.webserver.tests")
        logger.logLevel = .critical
        return logger
    }()

    static func makeConfiguration(limits: HTTPServerLimits = smallLimits, eventLoops: Int = 2) -> HTTPServerConfiguration {
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.eventLoopCount = eventLoops
        configuration.limits = limits
        configuration.shutdownGracePeriod = .seconds(3)
        return configuration
    }

    static func start(configuration: HTTPServerConfiguration = makeConfiguration(), routes: (inout RouterBuilder) -> Void) throws -> TestServer {
        var builder = RouterBuilder()
        routes(&builder)
        let server = try HTTPServer(configuration: configuration, responder: builder.build(logger: quietLogger), logger: quietLogger)
        let runTask = Task { try await server.run() }
        return TestServer(server: server, runTask: runTask)
    }

    /// Starts graceful shutdown and waits (bounded) for `run()` to return.
    /// - Returns: whether `run()` returned within `timeout`.
    @discardableResult
    func stop(timeout: Duration = .seconds(10)) async -> Bool {
        server.shutdown()
        let returned = await runTask.finishes(within: timeout)
        if !returned { Issue.record("HTTPServer.run() did not return within \(timeout) of shutdown()") }
        return returned
    }

    func connect() async throws -> HTTPTestClient {
        try await HTTPTestClient.connect(port: port)
    }
}

/// Runs `body` with a fresh server and always shuts it down afterwards.
func withTestServer<T>(
    configuration: HTTPServerConfiguration = TestServer.makeConfiguration(),
    routes: (inout RouterBuilder) -> Void,
    _ body: (TestServer) async throws -> T
) async throws -> T {
    let server = try TestServer.start(configuration: configuration, routes: routes)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

extension Task where Success == Void, Failure == any Error {
    /// Whether the task finishes within `timeout`; never waits longer, even if the task never finishes.
    func finishes(within timeout: Duration) async -> Bool {
        let isDone = DoneFlag()
        let watcher = Task<Void, Never> {
            _ = try? await self.value
            isDone.set()
        }
        _ = watcher
        let deadline = ContinuousClock.now + timeout
        while !isDone.value && ContinuousClock.now < deadline {
            try? await Task<Never, Never>.sleep(for: .milliseconds(10))
        }
        return isDone.value
    }
}

/// A flag set once, read from any thread.
final class DoneFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var value: Bool { flag.load(ordering: .acquiring) }
    func set() { flag.store(true, ordering: .releasing) }
}

/// Polls `condition` until it holds or `timeout` passes; returns its last value.
func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task<Never, Never>.sleep(for: .milliseconds(20))
    }
    return condition()
}

extension HTTPTestClient {
    /// Sends a minimal GET (or other method) with `Host` and reads the response.
    func request(
        _ method: String = "GET",
        _ target: String,
        headers: [String] = [],
        body: String? = nil
    ) async throws -> HTTPTestResponse {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: test\r\n"
        for header in headers { text += header + "\r\n" }
        if let body { text += "Content-Length: \(body.utf8.count)\r\n" }
        text += "\r\n" + (body ?? "")
        try await send(text)
        return try await readResponse(isHeadRequest: method == "HEAD")
    }
}
