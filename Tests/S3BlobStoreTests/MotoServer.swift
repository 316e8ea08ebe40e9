import Foundation
import HTTPClient
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// moto's S3-compatible server (`python -m moto.server`) on a free loopback port, for one test.
///
/// `FALAJ_TEST_MOTO` names the Python of a virtual environment with the pinned `moto[server]`;
/// `scripts/run-tests.sh` (so `make test`) creates it with `scripts/s3-venv.sh` and sets the variable.
struct MotoServer {
    static let variable = "FALAJ_TEST_MOTO"
    let endpoint: String
    private let process: Process
    private let logPath: String

    /// Starts moto, waits until it answers HTTP, runs `body`, and always stops moto afterwards.
    static func with<T>(_ body: (MotoServer) async throws -> T) async throws -> T {
        let server = try await start()
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    private static func start() async throws -> MotoServer {
        guard let python = ProcessInfo.processInfo.environment[variable], !python.isEmpty else {
            throw SetupError(
                "\(variable) is not set. The S3 blob store tests need moto's server: run `make test`, or "
                    + "`export \(variable)=$(bash scripts/s3-venv.sh)` and then `swift test --filter S3BlobStoreTests`."
            )
        }
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw SetupError("\(variable)=\(python) is not an executable Python; recreate it with `bash scripts/s3-venv.sh`.")
        }
        let port = try freePort()
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("falaj-moto-\(port).log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)]
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let server = MotoServer(endpoint: "http://127.0.0.1:\(port)", process: process, logPath: logPath)
        try await server.waitUntilAnswering()
        return server
    }

    private func waitUntilAnswering() async throws {
        let probe = HTTPClient(configuration: .init(connectTimeout: .seconds(1), timeout: .seconds(2), threadCount: 1))
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw SetupError("moto exited (status \(process.terminationStatus)) before answering:\n\(logTail())")
            }
            if let response = try? await probe.execute(HTTPClientRequest(url: endpoint + "/moto-api/")), response.status < 500 {
                return
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        await stop()
        throw SetupError("moto did not answer on \(endpoint) within 60 s:\n\(logTail())")
    }

    /// Sends SIGTERM and waits (bounded, without blocking a thread) for moto to exit; SIGKILL after 10 s.
    func stop() async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task<Never, Never>.sleep(for: .milliseconds(50))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: logPath)
    }

    private func logTail() -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return String(text.suffix(2000))
    }

    /// A port the kernel just handed out for 127.0.0.1 (bound to port 0, read back, closed).
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SetupError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
            }
        }
        guard bound else { throw SetupError("bind to a free port failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Why the test environment could not be set up, with what to do about it.
struct SetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
