import HTTPClient
import WebServer

/// A replica's answer as the gateway needs it: status, body, and the first row's prediction from its headers.
struct ReplicaAnswer: Sendable {
    var status: Int
    var body: [UInt8]
    var rows: Int
    var label: String?
    var value: Double?

    init(status: Int, body: [UInt8], header: (String) -> String?) {
        (self.status, self.body) = (status, body)
        rows = header("X-Falaj-Rows").flatMap { Int($0) } ?? 0
        label = header("X-Falaj-Label")
        value = header("X-Falaj-Value").flatMap { Double($0) }
    }
}

/// Why a forward failed.
enum ReplicaFailure: Error {
    /// No connection, or it broke before an answer: another replica may be tried.
    case unreachable(String)
    /// No answer before the deadline.
    case timedOut
}

/// Forwards prediction bodies to replicas (`POST <url>/v1/predict`). On a request's event loop, to a replica with an
/// IPv4 address, it uses ``Upstream`` (the loop's own kept-alive connections: no thread hop); anywhere else (a
/// background copy for a shadow, a host name) it uses libcurl on the HTTP client's blocking pool.
struct ReplicaForwarder: Sendable {
    let client: HTTPClient

    func post(_ url: String, body: [UInt8], timeout: Duration) async throws(ReplicaFailure) -> ReplicaAnswer {
        let headers = [(name: "Content-Type", value: "application/json"), (name: "Accept", value: "application/json")]
        if Upstream.isAvailable, let (host, port) = Self.address(url), host.split(separator: ".").count == 4, host.allSatisfy({ $0.isNumber || $0 == "." }) {
            do {
                let answer = try await Upstream.send(host: host, port: port, method: "POST", path: "/v1/predict", headers: headers, body: body, timeout: timeout)
                return ReplicaAnswer(status: answer.status, body: answer.body, header: answer.header)
            } catch let error as UpstreamError where error.kind == .timedOut {
                throw .timedOut
            } catch {
                throw .unreachable("\(error)")
            }
        }
        do {
            let answer = try await client.execute(
                HTTPClientRequest(method: "POST", url: url + "/v1/predict", headers: headers, body: .bytes(body), timeout: timeout), maxBodyBytes: 64 << 20)
            return ReplicaAnswer(status: answer.status, body: answer.body) { answer.head[$0] }
        } catch let error as HTTPClientError where error.code == .timedOut {
            throw .timedOut
        } catch let error as HTTPClientError {
            throw .unreachable(error.message)
        } catch {
            throw .unreachable("\(error)")
        }
    }

    /// Host and port of `http://host:port`.
    static func address(_ url: String) -> (String, Int)? {
        guard url.hasPrefix("http://") else { return nil }
        let authority = url.dropFirst(7).prefix { $0 != "/" }
        guard let colon = authority.lastIndex(of: ":"), let port = Int(authority[authority.index(after: colon)...]) else { return nil }
        return (String(authority[..<colon]), port)
    }
}
