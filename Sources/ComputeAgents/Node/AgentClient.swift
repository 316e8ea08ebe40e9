public import AgentProtocol
import BlockingPool
import FalajCrypto
public import Foundation
import HTTPClient
import Synchronization

/// JSON calls to the agent API (``AgentEndpoint``) over ``HTTPClient``, with typed errors.
///
/// TLS certificates are verified (a custom CA file may be given); plain `http://` is accepted only for loopback hosts
/// (127.0.0.0/8, ::1, localhost). Each call is one attempt; ``retrying(_:operation:)`` retries the unavailable ones.
public final class AgentClient: Sendable {
    /// The server's base URL without a trailing slash, e.g. `https://falaj.example.com`.
    public let serverURL: String
    private let http: HTTPClient
    private let credential = Mutex<String?>(nil)

    /// Creates a client.
    /// - Parameters:
    ///   - serverURL: `https://…`, or `http://` to a loopback host.
    ///   - caFile: a PEM bundle to trust instead of the system's; default nil.
    /// - Throws: ``AgentClientError`` (``AgentClientError/Kind/configuration``) for an unusable URL.
    public init(serverURL: String, caFile: String? = nil) throws {
        try Self.validate(serverURL: serverURL)
        var trimmed = serverURL
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.serverURL = trimmed
        http = HTTPClient(configuration: .init(connectTimeout: .seconds(10), timeout: .seconds(120), caFile: caFile, threadCount: 16))
    }

    /// Checks that `serverURL` is `https://`, or `http://` to a loopback host.
    /// - Throws: ``AgentClientError`` with a message that says what to do.
    public static func validate(serverURL: String) throws {
        guard let url = URL(string: serverURL), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            throw AgentClientError(.configuration, message: "'\(serverURL)' is not a server URL (expected https://host[:port])")
        }
        switch scheme {
        case "https": return
        case "http":
            guard isLoopback(host: host) else {
                throw AgentClientError(.configuration, message: "refusing plain http:// to \(host): only loopback hosts may use http; use https:// (with --ca-file for a private CA)")
            }
        default:
            throw AgentClientError(.configuration, message: "unsupported scheme '\(scheme)' in \(serverURL); use https://")
        }
    }

    /// Whether `host` is 127.0.0.0/8, ::1 or localhost.
    public static func isLoopback(host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        if bare == "localhost" || bare == "::1" || bare == "0:0:0:0:0:0:0:1" { return true }
        let parts = bare.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Sets the agent credential sent as `Authorization: Bearer` by ``heartbeat(_:)`` and ``lease(_:)``.
    public func setCredential(_ token: String?) { credential.withLock { $0 = token } }

    /// `POST /agent/v1/register` with the join token in the body.
    public func register(_ request: RegistrationRequest) async throws(AgentClientError) -> RegistrationResponse {
        try await json("POST", AgentEndpoint.register, body: request, bearer: nil)
    }

    /// `POST /agent/v1/heartbeat` with the agent credential.
    public func heartbeat(_ request: HeartbeatRequest) async throws(AgentClientError) -> HeartbeatResponse {
        try await json("POST", AgentEndpoint.heartbeat, body: request, bearer: credential.withLock { $0 })
    }

    /// `POST /agent/v1/lease` with the agent credential; may be held up to `request.waitSeconds`.
    public func lease(_ request: LeaseRequest) async throws(AgentClientError) -> LeaseResponse {
        try await json("POST", AgentEndpoint.lease, body: request, bearer: credential.withLock { $0 }, timeout: .seconds(request.waitSeconds + 30))
    }

    /// `POST …/logs?seq=N`: one ordered log chunk with the job token.
    public func postLog(job: UUID, seq: Int, bytes: [UInt8], token: String) async throws(AgentClientError) -> LogChunkAcknowledgement {
        let response = try await exchange(HTTPClientRequest(
            method: "POST", url: url(AgentEndpoint.logs(job.uuidString.lowercased())) + "?seq=\(seq)",
            headers: headers(bearer: token, contentType: "application/octet-stream"), body: .bytes(bytes)))
        return try decode(response)
    }

    /// `POST …/events` with the job token.
    public func postEvents(job: UUID, _ batch: JobEventBatch, token: String) async throws(AgentClientError) {
        _ = try await exchange(request("POST", AgentEndpoint.events(job.uuidString.lowercased()), body: batch, bearer: token))
    }

    /// `POST …/result` with the job token.
    public func postResult(job: UUID, _ report: JobResultReport, token: String) async throws(AgentClientError) -> JobResultAcknowledgement {
        try await json("POST", AgentEndpoint.result(job.uuidString.lowercased()), body: report, bearer: token)
    }

    /// `POST …/gang`: the gang barrier, with the job token.
    public func gang(job: UUID, token: String) async throws(AgentClientError) -> GangStatus {
        let response = try await exchange(HTTPClientRequest(
            method: "POST", url: url(AgentEndpoint.gang(job.uuidString.lowercased())), headers: headers(bearer: token, contentType: nil),
            body: .bytes([]), timeout: .seconds(60)))
        return try decode(response)
    }

    /// `PUT …/artifacts/<path>` streaming `file` from disk (read on ``BlockingPool/shared``) with its SHA-256 header.
    /// - Parameters:
    ///   - relativePath: the path inside the output folder, `/`-separated; each segment is percent-encoded here.
    public func putArtifact(job: UUID, relativePath: String, file: String, size: Int64, sha256: String, token: String) async throws(AgentClientError) -> ArtifactReceipt {
        let encoded = relativePath.split(separator: "/").map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? String($0) }.joined(separator: "/")
        var headerFields = headers(bearer: token, contentType: "application/octet-stream")
        headerFields.append((AgentProtocol.sha256Header, sha256))
        let response = try await exchange(HTTPClientRequest(
            method: "PUT", url: url(AgentEndpoint.artifact(job.uuidString.lowercased(), path: encoded)), headers: headerFields,
            body: .stream(FileChunks(path: file), length: size), timeout: .seconds(3600)))
        return try decode(response)
    }

    /// `GET …/input` (a built-in run's rows) into the file at `path`; see ``download(_:token:to:)``.
    public func downloadInput(job: UUID, token: String, to path: String) async throws(AgentClientError) -> (sizeBytes: Int64, sha256: String) {
        try await download(AgentEndpoint.input(job.uuidString.lowercased()), token: token, to: path)
    }

    /// `GET …/files` (a command's working files) into the file at `path`; see ``download(_:token:to:)``.
    public func downloadFiles(job: UUID, token: String, to path: String) async throws(AgentClientError) -> (sizeBytes: Int64, sha256: String) {
        try await download(AgentEndpoint.files(job.uuidString.lowercased()), token: token, to: path)
    }

    /// `GET …/model` (a replica's model file) into the file at `path`; see ``download(_:token:to:)``.
    public func downloadModel(job: UUID, token: String, to path: String) async throws(AgentClientError) -> (sizeBytes: Int64, sha256: String) {
        try await download(AgentEndpoint.model(job.uuidString.lowercased()), token: token, to: path)
    }

    /// `GET endpoint` with the job's token into the file at `path` (written on ``BlockingPool/shared``, chunk by
    /// chunk), returning its size and SHA-256 (hex).
    private func download(_ endpoint: String, token: String, to path: String) async throws(AgentClientError) -> (sizeBytes: Int64, sha256: String) {
        let request = HTTPClientRequest(method: "GET", url: url(endpoint), headers: headers(bearer: token, contentType: nil), timeout: .seconds(3600))
        do {
            return try await http.execute(request) { head, body in
                guard (200..<300).contains(head.status) else {
                    throw Self.problem(HTTPClientResponse(head: head, body: try await body.collect(upTo: 64 << 10)))
                }
                let file = try await BlockingPool.shared.run { () throws -> FileHandle in
                    guard FileManager.default.createFile(atPath: path, contents: nil) else {
                        throw AgentClientError(.rejected, message: "cannot create \(path)")
                    }
                    return try FileHandle(forWritingTo: URL(fileURLWithPath: path))
                }
                defer { try? file.close() }
                let hasher = SHA256.Hasher()
                var size: Int64 = 0
                for try await chunk in body {
                    hasher.update(chunk)
                    size += Int64(chunk.count)
                    try await BlockingPool.shared.run { try file.write(contentsOf: chunk) }
                }
                return (size, Hex.encode(hasher.finalize()))
            }
        } catch let error as AgentClientError {
            throw error
        } catch let error as HTTPClientError {
            throw AgentClientError(.unavailable, message: "cannot reach \(serverURL): \(error.message)")
        } catch {
            throw AgentClientError(.unavailable, message: "download of \(endpoint) failed: \(error)")
        }
    }

    /// Runs `operation` until it succeeds or fails with something other than ``AgentClientError/Kind/unavailable``,
    /// sleeping with ``Backoff`` between attempts; stops (throwing `CancellationError`) when the task is cancelled.
    /// - Parameters:
    ///   - onRetry: told about each unavailable failure before the sleep (for logging).
    public static func retrying<T: Sendable>(
        onRetry: @Sendable (AgentClientError, Duration) -> Void = { _, _ in },
        operation: () async throws -> T
    ) async throws -> T {
        var backoff = Backoff()
        while true {
            try Task.checkCancellation()
            do {
                return try await operation()
            } catch let error as AgentClientError where error.kind == .unavailable {
                let delay = backoff.nextDelay()
                onRetry(error, delay)
                try await Task.sleep(for: delay)
            }
        }
    }

    // MARK: - Plumbing

    private func url(_ path: String) -> String { serverURL + path }

    private func headers(bearer: String?, contentType: String?) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [(AgentProtocol.versionHeader, String(AgentProtocol.version)), ("Accept", "application/json")]
        if let contentType { fields.append(("Content-Type", contentType)) }
        if let bearer { fields.append(("Authorization", "Bearer \(bearer)")) }
        return fields
    }

    private func request(_ method: String, _ path: String, body: some Encodable, bearer: String?, timeout: Duration? = nil) throws(AgentClientError) -> HTTPClientRequest {
        let bytes: [UInt8]
        do {
            bytes = Array(try AgentProtocol.encoder.encode(body))
        } catch {
            throw AgentClientError(.rejected, message: "cannot encode the request: \(error)")
        }
        return HTTPClientRequest(method: method, url: url(path), headers: headers(bearer: bearer, contentType: "application/json"), body: .bytes(bytes), timeout: timeout)
    }

    private func json<Response: Decodable>(_ method: String, _ path: String, body: some Encodable, bearer: String?, timeout: Duration? = nil) async throws(AgentClientError) -> Response {
        try decode(try await exchange(try request(method, path, body: body, bearer: bearer, timeout: timeout)))
    }

    private func exchange(_ request: HTTPClientRequest) async throws(AgentClientError) -> HTTPClientResponse {
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, maxBodyBytes: 16 << 20)
        } catch let error as HTTPClientError {
            if error.code == .tlsFailed { throw AgentClientError(.unavailable, message: "TLS with \(serverURL) failed: \(error.message)") }
            throw AgentClientError(.unavailable, message: "cannot reach \(serverURL): \(error.message)")
        } catch {
            throw AgentClientError(.unavailable, message: "request to \(serverURL) failed: \(error)")
        }
        guard (200..<300).contains(response.status) else { throw Self.problem(response) }
        return response
    }

    private static func problem(_ response: HTTPClientResponse) -> AgentClientError {
        let problem = try? AgentProtocol.decoder.decode(AgentProblem.self, from: Data(response.body))
        let text = problem.map { [$0.title, $0.detail].compactMap { $0 }.joined(separator: ": ") }
            ?? String(decoding: response.body.prefix(200), as: UTF8.self)
        let kind: AgentClientError.Kind
        switch response.status {
        case 401, 403: kind = .unauthenticated
        case 409: kind = .conflict
        case 408, 429, 500...: kind = .unavailable
        default: kind = .rejected
        }
        return AgentClientError(kind, status: response.status, message: text.isEmpty ? "server answered \(response.status)" : text)
    }

    private func decode<T: Decodable>(_ response: HTTPClientResponse) throws(AgentClientError) -> T {
        do {
            return try AgentProtocol.decoder.decode(T.self, from: Data(response.body))
        } catch {
            throw AgentClientError(.rejected, status: response.status, message: "cannot decode the server's answer as \(T.self): \(error)")
        }
    }
}
