/// Namespace for the agent wire protocol shared by the control plane and `falaj-agent` (DESIGN.md §3).
///
/// Every body is JSON (`JSONEncoder`/`JSONDecoder` from ``AgentProtocol/encoder`` and ``AgentProtocol/decoder``:
/// ISO 8601 dates, camelCase keys) except log chunks and artifacts, which are raw bytes. Paths are in ``AgentEndpoint``.
public enum AgentProtocol {
    /// The protocol version both sides announce; bumped on incompatible changes.
    public static let version = 1

    /// Request header carrying the protocol version the agent speaks.
    public static let versionHeader = "X-Falaj-Agent-Protocol"

    /// Request header with the lowercase hex SHA-256 of an artifact's bytes; the server refuses the upload on mismatch.
    public static let sha256Header = "X-Falaj-SHA256"

    /// The longest a lease long-poll is held by the server, in seconds.
    public static let maximumLeaseWaitSeconds = 25
}

/// Paths of the agent API, all under `/agent/v1/`.
///
/// Authentication: ``register`` carries the join token in its body; ``heartbeat`` and ``lease`` take the agent
/// credential as `Authorization: Bearer fag_…`; every `jobs/:id/…` path takes the job-scoped token of the lease as
/// `Authorization: Bearer fjt…`, which is valid only for that job attempt and only while its lease lasts.
public enum AgentEndpoint {
    /// `POST`: ``RegistrationRequest`` → ``RegistrationResponse`` (201).
    public static let register = "/agent/v1/register"
    /// `POST`: ``HeartbeatRequest`` → ``HeartbeatResponse``.
    public static let heartbeat = "/agent/v1/heartbeat"
    /// `POST`: ``LeaseRequest`` → ``LeaseResponse``; held up to ``LeaseRequest/waitSeconds`` until work arrives.
    public static let lease = "/agent/v1/lease"

    /// `POST` raw bytes with query `seq=N` (0, 1, 2, … per attempt and rank): one ordered log chunk; a repeated `seq`
    /// is acknowledged without being stored twice. → ``LogChunkAcknowledgement``.
    public static func logs(_ job: String) -> String { "/agent/v1/jobs/\(job)/logs" }
    /// `POST`: ``JobEventBatch`` (status, progress, metrics) → 204.
    public static func events(_ job: String) -> String { "/agent/v1/jobs/\(job)/events" }
    /// `PUT` raw bytes to `…/artifacts/<relative path>` with ``AgentProtocol/sha256Header`` → ``ArtifactReceipt`` (201).
    public static func artifact(_ job: String, path: String) -> String { "/agent/v1/jobs/\(job)/artifacts/\(path)" }
    /// `POST`: ``JobResultReport`` → ``JobResultAcknowledgement``; idempotent for the same attempt, 409 for a stale one.
    public static func result(_ job: String) -> String { "/agent/v1/jobs/\(job)/result" }
    /// `POST` (long-poll, empty body) → ``GangStatus``: the barrier a gang member waits at before starting.
    public static func gang(_ job: String) -> String { "/agent/v1/jobs/\(job)/gang" }
    /// `GET` → the job's input rows as CSV (a `train.builtin` job's dataset version, decrypted, streamed).
    public static func input(_ job: String) -> String { "/agent/v1/jobs/\(job)/input" }
    /// `GET` → the job's working files (a gzipped tar archive, decrypted, streamed), for a spec with ``CommandJobSpec/files``.
    public static func files(_ job: String) -> String { "/agent/v1/jobs/\(job)/files" }
    /// `POST` `{"params": {…}, "tags": {…}}` with the job's token → 204: merges into the run the job trains for.
    public static func runParameters(_ run: String) -> String { "/agent/v1/runs/\(run)/params" }
}
