import Foundation
import Glibc
import Testing
import WebServer

/// A temporary directory, removed with everything in it when the value is dropped.
final class TLSTemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/falaj-tls-test-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        path = String(cString: created)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    func file(_ name: String) -> String {
        "\(path)/\(name)"
    }
}

/// Two connected, non-blocking AF_UNIX stream sockets. Ignores SIGPIPE for the process, as the server does.
final class TLSSocketPair {
    let server: Int32
    let client: Int32
    private var isServerOpen = true
    private var isClientOpen = true

    init(sendBufferBytes: Int32? = nil) throws {
        signal(SIGPIPE, SIG_IGN)
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        server = fds[0]
        client = fds[1]
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            if var size = sendBufferBytes {
                _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            }
        }
    }

    func closeClient() {
        if isClientOpen {
            close(client)
            isClientOpen = false
        }
    }

    deinit {
        if isServerOpen { close(server) }
        closeClient()
    }
}

/// A server and a client session over one socket pair, with helpers that drive both sides from one thread.
final class TLSTestConnection {
    let sockets: TLSSocketPair
    let server: TLSSession
    let client: TLSSession

    init(
        server serverContext: TLSContext,
        client clientContext: TLSContext,
        serverName: String? = "localhost",
        sendBufferBytes: Int32? = nil
    ) throws {
        sockets = try TLSSocketPair(sendBufferBytes: sendBufferBytes)
        server = try TLSSession(context: serverContext, fileDescriptor: sockets.server, role: .server)
        client = try TLSSession(context: clientContext, fileDescriptor: sockets.client, role: .client(serverName: serverName))
    }

    /// Steps both handshakes until each has completed or failed; returns (server, client) outcomes.
    func handshake() -> (server: TLSStatus, client: TLSStatus) {
        var serverStatus = TLSStatus.wantRead
        var clientStatus = TLSStatus.wantWrite
        for _ in 0..<50 {
            if !clientStatus.isFinal { clientStatus = client.handshake() }
            if !serverStatus.isFinal { serverStatus = server.handshake() }
            if serverStatus.isFinal && clientStatus.isFinal { break }
        }
        return (serverStatus, clientStatus)
    }

    /// Reads from `session` until it would block; returns the bytes and the final result.
    static func readAvailable(_ session: TLSSession, bufferSize: Int = 16_384) -> ([UInt8], TLSReadResult) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: bufferSize)
        while true {
            let result = buffer.withUnsafeMutableBytes { session.read(into: $0) }
            guard case .bytes(let count) = result else { return (received, result) }
            received += buffer[..<count]
        }
    }

    /// Sends `payload` from `writer` to `reader`, reading whenever the writer would block.
    /// Returns the bytes received and how many writes were partial and how many hit `.wantWrite`.
    static func transfer(
        _ payload: [UInt8],
        from writer: TLSSession,
        to reader: TLSSession
    ) -> (received: [UInt8], partialWrites: Int, wantWrites: Int) {
        var received: [UInt8] = []
        var offset = 0
        var partialWrites = 0
        var wantWrites = 0
        var rounds = 0
        while offset < payload.count && rounds < 100_000 {
            rounds += 1
            let result = payload.withUnsafeBytes { writer.write(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            switch result {
            case .bytes(let count):
                if count < payload.count - offset { partialWrites += 1 }
                offset += count
            case .wantWrite, .wantRead:
                wantWrites += 1
                received += readAvailable(reader).0
            case .closed, .failed:
                Issue.record("write failed: \(result)")
                return (received, partialWrites, wantWrites)
            }
        }
        while received.count < payload.count && rounds < 200_000 {
            rounds += 1
            let (bytes, result) = readAvailable(reader)
            received += bytes
            if case .failed = result { break }
            if case .closed = result { break }
        }
        return (received, partialWrites, wantWrites)
    }
}

extension TLSStatus {
    /// Whether a handshake loop should stop calling for this side.
    var isFinal: Bool {
        switch self {
        case .complete, .closed, .failed: true
        case .wantRead, .wantWrite: false
        }
    }

    /// The failure reason, or "" when this is not `.failed`.
    var failureReason: String {
        if case .failed(let reason) = self { return reason }
        return ""
    }
}

/// A self-signed server context and a client context trusting it, generated in a fresh temporary directory.
struct TLSTestContexts {
    let directory: TLSTemporaryDirectory
    let configuration: TLSConfiguration
    let server: TLSContext
    let client: TLSContext

    init() throws {
        directory = try TLSTemporaryDirectory()
        configuration = try SelfSignedCertificate.generate(directory: directory.path)
        server = try TLSContext(configuration: configuration)
        client = try TLSContext.makeClient(trustingCAFile: configuration.certificatePath)
    }
}
